"""The schema types what the API sends, down to the parts a form renderer or an event consumer
reads: the questionnaire's choices and groups, each event type's `data`, a referral's next
statuses and every id in a path."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from clinic.api.feed_serializers import EVENT_DATA, EVENT_TYPES
from clinic.models import Event
from tests.conftest import staff_client
from tests.reviews.helpers import URGENT_GP, create_intake, review, transition


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def test_a_choice_has_a_value_and_a_label(schema):
    question = schema["components"]["schemas"]["Question"]["properties"]
    assert question["choices"]["items"] == _ref("Choice")
    choice = schema["components"]["schemas"]["Choice"]
    assert set(choice["required"]) == {"value", "label"}
    assert {p["type"] for p in choice["properties"].values()} == {"string"}


def test_a_group_holds_questions(schema):
    question = schema["components"]["schemas"]["Question"]["properties"]
    assert question["items"]["items"] == _ref("Question")


def test_every_event_type_is_a_variant_told_apart_by_its_type(schema):
    event = schema["components"]["schemas"]["Event"]
    assert event["discriminator"]["propertyName"] == "type"
    assert set(event["discriminator"]["mapping"]) == set(EVENT_TYPES)
    assert len(event["oneOf"]) == len(EVENT_TYPES)


def test_every_event_type_the_feed_records_has_its_data_typed():
    assert set(EVENT_DATA) == set(EVENT_TYPES)


def test_the_events_a_workflow_records_match_their_documented_data(api, db):
    clinician = staff_client("clin", "north", "clinician")
    intake = create_intake(api, **URGENT_GP)
    overridden = review(clinician, intake["id"], "medical_referral", "routine", "gp")
    assert overridden.status_code == 201, overridden.content
    transition(clinician, intake["referral"]["id"], "sent")

    recorded = set()
    for event in Event.objects.all():
        data = EVENT_DATA[event.type](data=event.data)
        assert data.is_valid(), (event.type, data.errors)
        assert set(event.data) == set(data.fields), event.type  # no key left undocumented
        recorded.add(event.type)
    # ruleset.activated is checked in tests/rulesets/test_activation.py (its four keys).
    assert recorded == set(EVENT_TYPES) - {"ruleset.activated"}


def test_legal_next_is_a_list_of_statuses(schema):
    legal_next = schema["components"]["schemas"]["Referral"]["properties"]["legal_next"]
    assert legal_next["items"] == _ref("ReferralStatusEnum")


def test_every_id_in_a_path_is_a_uuid(schema):
    not_uuids = {"prefix", "token", "version"}  # a key prefix, a link token, "2026.2"
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path" or parameter["name"] in not_uuids:
                    continue
                if path.startswith(("/api/v1/staff-roles/", "/api/v1/webhooks/deliveries/")):
                    # A role's id and a delivery's are numbers: a delivery's row is made by one
                    # INSERT ... SELECT in the change's transaction, with the table's own
                    # sequence giving its id.
                    assert parameter["schema"]["type"] == "integer", (method, path)
                    continue
                assert parameter["schema"].get("format") == "uuid", (method, path)
