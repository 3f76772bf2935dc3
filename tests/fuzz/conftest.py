import sys


def pytest_terminal_summary(terminalreporter):
    """Name the seed of a schema fuzzing run: FUZZ_SEED=<it> sends the same requests again."""
    fuzzing = sys.modules.get("tests.fuzz.api_schema")
    if fuzzing is not None:
        terminalreporter.write_line(
            f"schema fuzzing: FUZZ_EXAMPLES={fuzzing.FUZZ_EXAMPLES} FUZZ_SEED={fuzzing.FUZZ_SEED}"
        )
