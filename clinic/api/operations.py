"""Who uses each operation, and its short id: the schema's tags and operationIds.

A generated client names its functions after the operationId (`create_intake`, not
`api_v1_intakes_create`), and groups them by tag; the tags say who each operation is for, so
an integrator building a reception system reads the `reception` group and no other. Kept in
one table (a postprocessing hook applies it) so that the audiences can be read side by side;
a new operation without a row fails tests/contract/test_operations.py."""

from typing import Any

RECEPTION, CLINICIANS, ADMINS, SAFETY = (
    "reception",
    "clinicians",
    "clinic admins",
    "safety officers",
)
OPERATIONS_TAG = "operations"
STAFF = (RECEPTION, CLINICIANS, ADMINS, SAFETY)

TAGS = [
    {"name": RECEPTION, "description": "Reception systems (an API key) and front-desk staff: "
     "the questionnaire, intakes and their decisions, care plans, referrals and the feed."},
    {"name": CLINICIANS, "description": "Clinicians: reviewing decisions, patient history, "
     "referrals and their letters, rule tables and replays."},
    {"name": ADMINS, "description": "Clinic admins: reception keys, staff roles, the audit "
     "trail, webhooks."},
    {"name": SAFETY, "description": "Clinical safety officers: ruleset versions, replays "
     "and activations."},
    {"name": OPERATIONS_TAG, "description": "Running the service: health checks."},
]  # fmt: skip

V1 = "/api/v1"
# (path, method): (operationId, the audiences it is for)
OPERATIONS: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("/healthz", "get"): ("getHealth", (OPERATIONS_TAG,)),
    (f"{V1}/auth/tokens/", "post"): ("createStaffToken", STAFF),
    (f"{V1}/auth/tokens/current/", "delete"): ("revokeCurrentStaffToken", STAFF),
    (f"{V1}/questionnaire/", "get"): ("getQuestionnaire", (RECEPTION,)),
    (f"{V1}/rules/", "get"): ("getRuleTable", (RECEPTION, CLINICIANS)),
    (f"{V1}/triage/evaluate/", "post"): ("evaluateIntake", (RECEPTION, CLINICIANS)),
    (f"{V1}/events/", "get"): ("listEvents", (RECEPTION, CLINICIANS)),
    (f"{V1}/intakes/", "post"): ("createIntake", (RECEPTION,)),
    (f"{V1}/intakes/", "get"): ("listIntakes", (RECEPTION, CLINICIANS)),
    (f"{V1}/intakes/{{id}}/", "get"): ("getIntake", (RECEPTION, CLINICIANS)),
    (f"{V1}/intakes/{{id}}/review/", "post"): ("reviewIntake", (CLINICIANS,)),
    (f"{V1}/intakes/{{id}}/care-plan/", "get"): ("getCarePlan", (RECEPTION, CLINICIANS)),
    (f"{V1}/intakes/{{id}}/care-plan/print/", "get"): ("printCarePlan", (RECEPTION, CLINICIANS)),
    (f"{V1}/intakes/{{id}}/care-plan/links/", "post"): (
        "createCarePlanLink", (RECEPTION, CLINICIANS)),
    (f"{V1}/print-links/care-plan/{{token}}/", "get"): ("openCarePlanLink", (RECEPTION,)),
    (f"{V1}/print-links/letter/{{token}}/", "get"): ("openLetterLink", (RECEPTION, CLINICIANS)),
    (f"{V1}/patients/{{id}}/history/", "get"): ("getPatientHistory", (RECEPTION, CLINICIANS)),
    (f"{V1}/referrals/", "get"): ("listReferrals", (RECEPTION, CLINICIANS)),
    (f"{V1}/referrals/{{id}}/", "get"): ("getReferral", (RECEPTION, CLINICIANS)),
    (f"{V1}/referrals/{{id}}/transitions/", "post"): (
        "transitionReferral", (RECEPTION, CLINICIANS)),
    (f"{V1}/referrals/{{id}}/letter/", "get"): ("printReferralLetter", (RECEPTION, CLINICIANS)),
    (f"{V1}/referrals/{{id}}/letter/links/", "post"): (
        "createLetterLink", (RECEPTION, CLINICIANS)),
    (f"{V1}/audit-events/", "get"): ("listAuditEvents", (ADMINS,)),
    (f"{V1}/api-keys/", "get"): ("listApiKeys", (ADMINS,)),
    (f"{V1}/api-keys/", "post"): ("createApiKey", (ADMINS,)),
    (f"{V1}/api-keys/{{prefix}}/revoke/", "post"): ("revokeApiKey", (ADMINS,)),
    (f"{V1}/api-keys/{{prefix}}/rotate/", "post"): ("rotateApiKey", (ADMINS,)),
    (f"{V1}/staff-roles/", "get"): ("listStaffRoles", (ADMINS,)),
    (f"{V1}/staff-roles/", "post"): ("grantStaffRole", (ADMINS,)),
    (f"{V1}/staff-roles/{{id}}/", "delete"): ("removeStaffRole", (ADMINS,)),
    (f"{V1}/rulesets/", "get"): ("listRulesets", (CLINICIANS, SAFETY, ADMINS)),
    (f"{V1}/rulesets/{{version}}/rules/", "get"): ("getRulesetRules", (CLINICIANS, SAFETY)),
    (f"{V1}/rulesets/{{version}}/activations/", "post"): ("activateRuleset", (SAFETY,)),
    (f"{V1}/rulesets/activations/", "get"): ("listActivations", (CLINICIANS, SAFETY, ADMINS)),
    (f"{V1}/rulesets/{{version}}/replays/", "post"): ("startReplay", (CLINICIANS, SAFETY, ADMINS)),
    (f"{V1}/replays/{{id}}/", "get"): ("getReplay", (CLINICIANS, SAFETY, ADMINS)),
    (f"{V1}/replays/{{id}}/report/", "get"): ("getReplayReport", (CLINICIANS, SAFETY, ADMINS)),
    (f"{V1}/replays/{{id}}/changes/", "get"): (
        "listReplayChanges", (CLINICIANS, SAFETY, ADMINS)),
    (f"{V1}/webhooks/", "get"): ("listWebhooks", (ADMINS,)),
    (f"{V1}/webhooks/", "post"): ("createWebhook", (ADMINS,)),
    (f"{V1}/webhooks/{{id}}/", "get"): ("getWebhook", (ADMINS,)),
    (f"{V1}/webhooks/{{id}}/", "delete"): ("deleteWebhook", (ADMINS,)),
    (f"{V1}/webhooks/{{id}}/rotate-secret/", "post"): ("rotateWebhookSecret", (ADMINS,)),
    (f"{V1}/webhooks/{{id}}/test/", "post"): ("testWebhook", (ADMINS,)),
    (f"{V1}/webhooks/{{id}}/deliveries/", "get"): ("listWebhookDeliveries", (ADMINS,)),
    (f"{V1}/webhooks/deliveries/{{id}}/resend/", "post"): ("resendWebhookDelivery", (ADMINS,)),
}  # fmt: skip


def tag_operations(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """Give each operation in OPERATIONS its short id and its audiences' tags; an operation
    not in the table keeps drf-spectacular's (and fails the test that wants a row)."""
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            row = OPERATIONS.get((path, method))
            if row is not None:
                operation["operationId"], tags = row
                operation["tags"] = list(tags)
    result["tags"] = TAGS
    return result
