"""The change feed: what happened in the caller's branches, in commit order."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic import selectors
from clinic.api import feed_serializers as s
from clinic.api.query import StrictQueryMixin
from clinic.api.schema import READ_ERRORS, error_responses
from clinic.audit import AuditedMixin


class EventFeedView(StrictQueryMixin, AuditedMixin, APIView):
    page_size = 100
    query_serializer_class = s.EventQuerySerializer
    audit_object_type = "event"
    audit_actions = {"get": "events.list"}

    @extend_schema(
        summary="The change feed: everything that happened since a cursor, in commit order",
        description="Start with no `after` (or `after=0`); then pass the `next_cursor` you were "
        "given, with the same `type` filter if any. No event is skipped or repeated, even when "
        "written concurrently. A cursor the feed did not give you is a 400.",
        responses={200: s.EventPageSerializer, **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        query = s.EventQuerySerializer(data=request.query_params, context={"caller": request.user})
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        events = selectors.events_after(
            caller=request.user, after=after, limit=limit + 1, types=query.validated_data["type"]
        )
        page = events[:limit]
        return Response(
            {
                "results": s.EventSerializer(page, many=True).data,
                "next_cursor": str(page[-1].id if page else after),
                "has_more": len(events) > limit,
            }
        )
