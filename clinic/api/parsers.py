"""A JSON parser that refuses oversized bodies before reading them into memory."""

from django.conf import settings
from rest_framework.parsers import JSONParser

from .errors import PayloadTooLarge


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.MAX_REQUEST_BODY_BYTES
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            declared = int(length) if length else None
        except ValueError:
            declared = None
        if declared is not None and declared > limit:
            raise PayloadTooLarge()
        # A body without a length (chunked) is read only up to the limit.
        if stream is not None and declared is None:
            raw = stream.read(limit + 1)
            if len(raw) > limit:
                raise PayloadTooLarge()
            from io import BytesIO

            stream = BytesIO(raw)
        return super().parse(stream, media_type, parser_context)
