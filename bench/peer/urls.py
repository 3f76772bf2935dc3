from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from bench.peer.intakes.views import IntakeViewSet

router = DefaultRouter()
router.register("intakes", IntakeViewSet)


def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer (and the load test's readiness probe): no database, no auth."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    path("api/", include(router.urls)),
]
