from collections.abc import Callable
from functools import cached_property, partial

from django.core.paginator import Paginator
from rest_framework import exceptions, pagination

from clinic.api.fields import whole_number


class CountedPaginator(Paginator):
    """A paginator that asks `count_rows` for the number of rows: a cheaper query that finds
    the same number, or None to count the list itself."""

    def __init__(self, object_list, per_page, *, count_rows: Callable[[], int | None], **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._count_rows = count_rows

    @cached_property
    def count(self) -> int:
        counted = self._count_rows()
        return super().count if counted is None else counted


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of 25 by default; `page_size` up to 100. Like every other input, `page` and
    `page_size` are taken as they are: anything but a whole number in range is a 400 that names
    the parameter, never silently replaced by a default."""

    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()  # `page=last` is not a page number

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:  # left out; sent empty, it is refused like any other bad value
            return self.page_size
        size = whole_number(raw)
        if size is None or not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"Use 1 to {self.max_page_size}."]},
                code="invalid_page_size",
            )
        return size

    def get_page_number(self, request, paginator) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        number = whole_number(raw)
        if number is None:
            raise exceptions.NotFound()  # reported as a bad page, below
        return number

    def paginate_queryset(self, queryset, request, view=None):
        # A view may know a cheaper way to count its rows (`count_rows`); see CountedPaginator.
        count_rows = getattr(view, "count_rows", None)
        self.django_paginator_class = (
            Paginator if count_rows is None else partial(CountedPaginator, count_rows=count_rows)
        )
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as exc:
            # A page past the end is a bad query parameter, named like any other bad input.
            raise exceptions.ValidationError(
                {self.page_query_param: ["No such page."]}, code="invalid_page"
            ) from exc

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        limits = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(limits.get(parameter["name"], {}))
        return parameters
