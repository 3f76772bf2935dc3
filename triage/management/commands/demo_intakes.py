"""Demo intakes for a branch, so the dashboard's worklist is not empty on `make run`: an
emergency, an urgent referral, a clinician call-back, a physiotherapy and a home-care intake.
Made through the same service as POST /intakes/, by the branch's demo key. Adds nothing when
the branch already has intakes."""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clinic.callers import KeyCaller
from clinic.models import ApiKey
from triage.engine.vocabulary import STARTBACK_ITEMS
from triage.models import Intake
from triage.services import intake_create


def _answers(**changes: Any) -> dict[str, Any]:
    """A patient with no findings (SPEC §2), with `changes`."""
    answers: dict[str, Any] = {
        "pain_duration_days": 5, "pain_score": 3, "spasm_present": False,
        "suspected_triggers": [], "first_ever_episode": False, "prior_episodes_12m": 0,
        "self_care_not_helping": False, "completed_physiotherapy": False,
        "radiation_below_knee": False, "bilateral_leg_symptoms": False, "leg_numbness": False,
        "leg_weakness": "none", "bladder_bowel_change": "no", "saddle_numbness": "no",
        "sexual_dysfunction_new": "no", "fever": "no", "cancer_history": "no",
        "unexplained_weight_loss": "no", "trauma": "none", "osteoporosis_or_steroids": "no",
        "immunosuppression_or_iv_drug_use": "no", "night_pain_unremitting": "no",
        "thoracic_pain": "no", "inflammatory_features": [],
        "startback": {**dict.fromkeys(STARTBACK_ITEMS, False), "bothersomeness": "slightly"},
    }  # fmt: skip
    answers.update(changes)
    return answers


DEMO_PATIENTS = [
    ("DEMO-1001", date(1958, 3, 14), "female", _answers(saddle_numbness="yes")),
    ("DEMO-1002", date(1971, 7, 2), "male", _answers(trauma="major")),
    ("DEMO-1003", date(1949, 11, 23), "female", _answers(cancer_history="yes")),
    ("DEMO-1004", date(1985, 1, 9), "male", _answers(fever="unknown")),
    ("DEMO-1005", date(1966, 5, 30), "female", _answers(unexplained_weight_loss="unknown")),
    ("DEMO-1006", date(1990, 9, 17), "male", _answers(pain_duration_days=60, pain_score=6,
                                                       self_care_not_helping=True)),
    ("DEMO-1007", date(1995, 4, 4), "female", _answers()),
]  # fmt: skip


class Command(BaseCommand):
    help = "Add demo intakes to a branch that has none (local demo only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--branch", default="demo")

    def handle(self, *args, branch: str, **options) -> None:
        key = ApiKey.objects.filter(branch__slug=branch, revoked=False).first()
        if key is None:
            raise CommandError(f"Branch {branch!r} has no API key: run setup_demo first.")
        if Intake.objects.filter(branch=key.branch).exists():
            self.stdout.write(f"Branch {branch!r} already has intakes; none added.")
            return
        caller = KeyCaller(api_key=key)
        for external_id, born, sex, answers in DEMO_PATIENTS:
            patient = {"external_id": external_id, "date_of_birth": born, "sex": sex}
            intake_create(caller=caller, patient=patient, answers=answers)
        self.stdout.write(f"Added {len(DEMO_PATIENTS)} demo intakes to branch {branch!r}.")
