from django.urls import path
from rest_framework.routers import SimpleRouter

from triage.api import views

router = SimpleRouter()
router.register("intakes", views.IntakeViewSet, basename="intake")

urlpatterns = [
    path("questionnaire/", views.QuestionnaireView.as_view(), name="questionnaire"),
    path("rules/", views.RuleTableView.as_view(), name="rules"),
    path("triage/evaluate/", views.EvaluateView.as_view(), name="triage-evaluate"),
    path(
        "patients/<uuid:pk>/history/",
        views.PatientHistoryViewSet.as_view({"get": "retrieve"}),
        name="patient-history",
    ),
    *router.urls,
]
