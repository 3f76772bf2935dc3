"""Filter fields shared by the list endpoints: strict, and never echoing a bad value."""

import django_filters


def choice_filter(field_name: str, values: tuple[str, ...]) -> django_filters.Filter:
    """Any of `values`, repeatable. Django's own message repeats the submitted value; this one
    lists the allowed ones instead."""
    return django_filters.MultipleChoiceFilter(
        field_name=field_name,
        choices=[(value, value) for value in values],
        error_messages={"invalid_choice": f"Must be one of: {', '.join(values)}."},
    )


def true_false_filter(**kwargs) -> django_filters.Filter:
    """Only `true` or `false`: anything else is refused rather than silently ignored."""
    return django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        error_messages={"invalid_choice": "Must be true or false."},
        **kwargs,
    )
