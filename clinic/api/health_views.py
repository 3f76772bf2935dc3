"""Liveness: whether the service answers and its database does."""

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from clinic.api.query import StrictQueryMixin
from clinic.api.schema import error_responses

HEALTH_STATES = ("ok", "unavailable")


class HealthSerializer(serializers.Serializer):
    status = serializers.ChoiceField(HEALTH_STATES)
    database = serializers.ChoiceField(HEALTH_STATES)


class HealthView(StrictQueryMixin, generics.GenericAPIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # load balancers poll it
    serializer_class = HealthSerializer

    @extend_schema(
        summary="Liveness and database check",
        description="No credentials, not rate-limited: for load balancers and monitoring. 200 "
        "when the service can reach its database, 503 when it cannot.",
        auth=[],
        responses={200: HealthSerializer, 503: HealthSerializer, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return Response({"status": "ok", "database": "ok"})
        except Exception:  # any database failure means "not ready", never a 500
            return Response(
                {"status": "unavailable", "database": "unavailable"},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
