"""Query parameters are input like any other: an operation takes only the ones it documents.

Every API view goes through `StrictQueryMixin`. It works out the parameters the view's current
action takes (on a list: its filter set's filters and its paginator's `page` and `page_size`;
on any action: the parameters the view reads itself, `query_serializer_class`) and refuses,
with a 400 that names the parameter:

- a parameter the action does not take: a typo in a filter name would otherwise return the
  whole, unfiltered list as if it were the filtered one;
- an empty value (`?patient=`, or `?patient` alone): every parameter has a type, and nothing
  is not a value of it; left as "not given", a form that lost its value would widen the list;
- a parameter sent twice that is not a list (`?limit=5&limit=6`): which one was meant?

Its schema class, `StrictQuerySchema`, documents the same parameters, so the OpenAPI schema
and the service agree on what a request may carry.
"""

from typing import Any

from django import forms
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.mixins import ListModelMixin
from rest_framework.request import Request

from clinic.api import paths
from clinic.api.errors import PLAIN_NAME

_UUID_PATH = f"^{paths.UUID}$"
# A parameter whose name is not a PLAIN_NAME is reported as `query`, the query string as a whole.
QUERY = "query"


def _repeatable(field: Any) -> bool:
    """Whether a filter or serializer field takes several values, one per repetition."""
    if isinstance(field, serializers.Field):
        return isinstance(field, serializers.ListField | serializers.MultipleChoiceField)
    return issubclass(field.field_class, forms.MultipleChoiceField)  # a django-filter filter


class StrictQuerySchema(AutoSchema):
    """Documents what `StrictQueryMixin` accepts: the parameters of `query_serializer_class`
    besides the filters and pages drf-spectacular finds itself, and that none may be empty."""

    def get_description(self) -> str:
        # Only what `@extend_schema(description=...)` says: drf-spectacular would otherwise
        # publish the view's docstring, or the first one in its bases (this mixin's), which are
        # written for the project's developers, not for integrators.
        return ""

    def get_override_parameters(self) -> list:
        parameters = super().get_override_parameters()
        query_serializer_class = self.view.get_query_serializer_class()
        if query_serializer_class is None:
            return parameters
        return [query_serializer_class, *parameters]

    def _get_parameters(self) -> list[dict]:
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == "query" and parameter["schema"].get("type") == "string":
                parameter["schema"].setdefault("minLength", 1)  # empty is refused
            if parameter["in"] == "path" and parameter["schema"].get("pattern") == _UUID_PATH:
                # An id a route matches by its pattern (a custom action's path) is a UUID all
                # the same: say so, so that generated clients type it as one.
                parameter["schema"]["format"] = "uuid"
        return parameters


class StrictQueryMixin:
    """Refuses query parameters the current action does not take (see the module's doc).
    Put it first among a view's bases: it must see every request, and its schema class must
    be the one drf-spectacular finds."""

    #: The parameters the view reads itself, as a serializer's fields (a ListField or
    #: MultipleChoiceField is repeatable). Validating them is still the view's job.
    query_serializer_class: type[serializers.Serializer] | None = None

    schema = StrictQuerySchema()

    def get_query_serializer_class(self) -> type[serializers.Serializer] | None:
        return self.query_serializer_class

    def _lists(self) -> bool:
        """Whether the current action is a list, the only kind of action that filters and
        pages (as drf-spectacular documents it)."""
        action = getattr(self, "action", None)
        if action is not None:
            return action == "list"
        return isinstance(self, ListModelMixin) and self.request.method in ("GET", "HEAD")

    def query_parameters(self) -> dict[str, bool]:
        """The query parameters the current action takes, each with whether it repeats."""
        accepted: dict[str, bool] = {}
        if self._lists():
            filterset_class = getattr(self, "filterset_class", None)
            if filterset_class is not None:
                for name, filter_ in filterset_class.base_filters.items():
                    accepted[name] = _repeatable(filter_)
            paginator = getattr(self, "paginator", None)
            if paginator is not None:
                for parameter in paginator.get_schema_operation_parameters(self):
                    accepted[parameter["name"]] = False
        query_serializer_class = self.get_query_serializer_class()
        if query_serializer_class is not None:
            for name, field in query_serializer_class().fields.items():
                accepted[name] = _repeatable(field)
        return accepted

    def check_query(self, request: Request) -> None:
        """Raise a 400 naming every parameter that is unknown, empty or repeated."""
        method = request.method.lower()
        if not request.query_params or not (
            method in self.http_method_names and hasattr(self, method)
        ):
            return  # a method the view does not answer is a 405, whatever the query
        accepted = self.query_parameters()
        errors: dict[str, list[ErrorDetail]] = {}
        for name, values in request.query_params.lists():
            if name not in accepted:
                field = name if PLAIN_NAME.fullmatch(name) else QUERY
                message = (
                    "This operation does not take this query parameter."
                    if field == name
                    else "A query parameter this operation does not take was sent (its name "
                    "is not repeated)."
                )
                errors.setdefault(field, [ErrorDetail(message, "unknown_parameter")])
            elif "" in values:
                errors[name] = [ErrorDetail("Must not be empty.", "empty_parameter")]
            elif len(values) > 1 and not accepted[name]:
                errors[name] = [ErrorDetail("Send this parameter once.", "repeated_parameter")]
        if errors:
            raise ValidationError(errors)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # After authentication, permissions and throttling: a caller who may not call the
        # operation learns nothing about its parameters.
        super().initial(request, *args, **kwargs)
        self.check_query(request)
