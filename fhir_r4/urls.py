"""/fhir/: the R4 interface, and an OperationOutcome for every other path beneath."""

from django.urls import path, re_path

from clinic.api.paths import UUID
from fhir_r4 import views

# A resource id as FHIR allows it (our code systems' ids among them).
FHIR_ID = r"[A-Za-z0-9\-\.]{1,64}"

urlpatterns = [
    path("R4/metadata", views.MetadataView.as_view(), name="fhir-metadata"),
    path("R4/Questionnaire/back-pain-intake", views.QuestionnaireView.as_view(),
         name="fhir-questionnaire"),
    path("R4/QuestionnaireResponse", views.QuestionnaireResponseCreateView.as_view(),
         name="fhir-questionnaire-response-create"),
    re_path(rf"^R4/QuestionnaireResponse/(?P<pk>{UUID})$",
            views.QuestionnaireResponseView.as_view(), name="fhir-questionnaire-response"),
    re_path(rf"^R4/RiskAssessment/(?P<pk>{UUID})$", views.RiskAssessmentView.as_view(),
            name="fhir-risk-assessment"),
    re_path(rf"^R4/CarePlan/(?P<pk>{UUID})$", views.CarePlanView.as_view(), name="fhir-care-plan"),
    path("R4/ServiceRequest", views.ServiceRequestSearchView.as_view(),
         name="fhir-service-request-search"),
    re_path(rf"^R4/ServiceRequest/(?P<pk>{UUID})$", views.ServiceRequestView.as_view(),
            name="fhir-service-request"),
    re_path(rf"^R4/Patient/(?P<pk>{UUID})$", views.PatientView.as_view(), name="fhir-patient"),
    path("R4/CodeSystem", views.CodeSystemSearchView.as_view(), name="fhir-code-system-search"),
    re_path(rf"^R4/CodeSystem/(?P<pk>{FHIR_ID})$", views.CodeSystemView.as_view(),
            name="fhir-code-system"),
    re_path(r"", views.NotFoundView.as_view(), name="fhir-not-found"),
]  # fmt: skip
