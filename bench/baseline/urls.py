"""The app's URLs, unchanged, plus the baseline views (/bench/baseline/, /bench/guarded/)."""

from django.urls import path

from bench.baseline import views
from clinic.urls import handler400, handler404, handler500
from clinic.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("bench/baseline/insert/", views.baseline_insert, name="bench-baseline-insert"),
    path("bench/baseline/list/", views.baseline_list, name="bench-baseline-list"),
    path("bench/guarded/insert/", views.GuardedInsert.as_view(), name="bench-guarded-insert"),
    path("bench/guarded/list/", views.GuardedList.as_view(), name="bench-guarded-list"),
    *app_urlpatterns,
]

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]
