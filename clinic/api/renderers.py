"""The API's JSON renderer: DRF's output, written by orjson.

The JSON is DRF's JSONRenderer's (compact, UTF-8, U+2028 and U+2029 escaped, and every value
DRF's encoder knows written as it writes it: datetimes, decimals, lazy text, sets...), at a
fraction of the CPU: rendering was a tenth of a list page's. Only the spelling of a float may
differ (`1e-7` where Python writes `1e-07`), and a NaN is written `null` where DRF refused it
with an error. One thing more:
`StoredJSON`, JSON text the database holds (a stored decision, stored answers), goes out as
it is, never decoded and encoded again.

A response asked for indented (`Accept: application/json; indent=4`) is written by DRF's
renderer, as before.
"""

import json
from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

# Datetimes and dataclasses go to `_default`, so that they are written as DRF writes them
# (a datetime to the millisecond, UTC as `Z`), or refused as DRF refuses them.
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)


class StoredJSON:
    """JSON text as stored (valid JSON, as the database checked it), to be sent as it is. No
    repr of its own: it holds patient data, which must never reach a log line."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Encoder(JSONEncoder):
    """DRF's encoder, which also reads StoredJSON (only for indented responses)."""

    def default(self, obj: Any) -> Any:
        if isinstance(obj, StoredJSON):
            return json.loads(obj.text)
        return super().default(obj)


_DRF_ENCODER = _Encoder()


def _default(obj: Any) -> Any:
    if type(obj) is StoredJSON:
        return orjson.Fragment(obj.text)
    return _DRF_ENCODER.default(obj)


def dumps(data: Any) -> bytes:
    """`data` as JSON, each value written as DRF's encoder writes it (StoredJSON as it is);
    orjson.JSONEncodeError for what orjson alone cannot write (an integer past 64 bits)."""
    return orjson.dumps(data, default=_default, option=_OPTIONS)


class JSONRenderer(renderers.JSONRenderer):
    encoder_class = _Encoder

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            body = dumps(data)
        except orjson.JSONEncodeError:
            # What orjson alone refuses (an integer past 64 bits, say): DRF's renderer
            # writes it, or raises as it always did.
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF: JSON that is also a strict subset of JavaScript.
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body
