from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from clinic.api.access_views import (
    ApiKeyViewSet,
    CurrentTokenView,
    StaffRoleViewSet,
    StaffTokenView,
)
from clinic.api.audit_views import AuditEventViewSet
from clinic.api.feed_views import EventFeedView
from clinic.api.health_views import HealthView
from clinic.api.paths import UUID
from clinic.api.webhook_views import (
    WebhookDeliveryLogViewSet,
    WebhookDeliveryViewSet,
    WebhookViewSet,
)
from referrals.admin_dashboard import dashboard_view
from referrals.admin_worklist import move_view

router = SimpleRouter()
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("staff-roles", StaffRoleViewSet, basename="staff-role")
# Deliveries before webhooks: `webhooks/deliveries/...` must not be read as a webhook's id.
router.register("webhooks/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register(
    rf"webhooks/(?P<id>{UUID})/deliveries", WebhookDeliveryLogViewSet, basename="webhook-log"
)
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = [
    path("healthz", HealthView.as_view(), name="healthz"),
    path("api/v1/", include("triage.api.urls")),
    path("api/v1/events/", EventFeedView.as_view(), name="events"),
    path("api/v1/", include("referrals.api.urls")),
    path("api/v1/", include(router.urls)),
    path("api/v1/auth/tokens/", StaffTokenView.as_view(), name="staff-token"),
    path("api/v1/auth/tokens/current/", CurrentTokenView.as_view(), name="staff-token-current"),
    path("fhir/", include("fhir_r4.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("admin/dashboard/", admin.site.admin_view(dashboard_view), name="triage-dashboard"),
    path(
        "admin/dashboard/referrals/<uuid:referral_id>/move/",
        admin.site.admin_view(move_view),
        name="triage-worklist-move",
    ),
    path("admin/", admin.site.urls),
]

handler400 = "clinic.api.errors.json_bad_request"
handler404 = "clinic.api.errors.json_not_found"
handler500 = "clinic.api.errors.json_server_error"
