from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from clinic.api.print_links import TOKEN
from triage.api import ruleset_views, views

router = SimpleRouter()
router.register("intakes", views.IntakeViewSet, basename="intake")
router.register(
    "rulesets/activations", ruleset_views.RulesetActivationViewSet, basename="ruleset-activation"
)
router.register("rulesets", ruleset_views.RulesetViewSet, basename="ruleset")
router.register("replays", ruleset_views.ReplayViewSet, basename="replay")

urlpatterns = [
    path("questionnaire/", views.QuestionnaireView.as_view(), name="questionnaire"),
    path("rules/", views.RuleTableView.as_view(), name="rules"),
    path("triage/evaluate/", views.EvaluateView.as_view(), name="triage-evaluate"),
    path(
        "patients/<uuid:pk>/history/",
        views.PatientHistoryViewSet.as_view({"get": "retrieve"}),
        name="patient-history",
    ),
    path(
        "replays/<uuid:id>/changes/",
        ruleset_views.ReplayChangeViewSet.as_view({"get": "list"}),
        name="replay-changes",
    ),
    re_path(
        rf"^print-links/care-plan/(?P<token>{TOKEN})/$",
        views.CarePlanLinkView.as_view(),
        name="care-plan-link",
    ),
    *router.urls,
]
