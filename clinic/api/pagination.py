from rest_framework import exceptions, pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of 25 by default; `page_size` up to 100."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as exc:
            # A page past the end is a bad query parameter, named like any other bad input.
            raise exceptions.ValidationError(
                {self.page_query_param: ["No such page."]}, code="invalid_page"
            ) from exc
