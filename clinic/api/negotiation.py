from rest_framework.negotiation import BaseContentNegotiation


class PrintablePageNegotiation(BaseContentNegotiation):
    """For views that answer with an HTML page: success is the page whatever `Accept` says,
    and an error is JSON like everywhere else (never a 406 for asking for HTML)."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
