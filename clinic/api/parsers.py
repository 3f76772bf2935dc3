"""The JSON body parser: DRF's, refusing what would break later steps with a 400.

- Nesting deeper than any request of this API needs: Python's decoder recurses, so a body of a
  thousand `[` raises RecursionError (a 500) inside the parser, and a body just under that
  limit would recurse again in every later step (validation, hashing for idempotency, error
  flattening). The deepest valid body (an intake) is four levels.
- Text that is not valid Unicode: JSON lets `"\\ud800"` through as a lone surrogate, which no
  UTF-8 response, log line or database column can hold (UnicodeEncodeError, a 500).
"""

import re
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class BodyTooDeep(ParseError):
    default_detail = f"The body nests objects or lists more than {MAX_DEPTH} levels deep."
    default_code = "too_deep"


class BodyNotUnicode(ParseError):
    default_detail = "The body holds text that is not valid Unicode (a lone surrogate)."
    default_code = "invalid_unicode"


def check_parsed(data: Any) -> None:
    """Walk the parsed body without recursion: its depth, and every key and string in it."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise BodyNotUnicode()
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise BodyTooDeep()
            if isinstance(value, dict):
                for key, item in value.items():
                    if _SURROGATE.search(key):
                        raise BodyNotUnicode()
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise BodyTooDeep() from None
        check_parsed(data)
        return data
