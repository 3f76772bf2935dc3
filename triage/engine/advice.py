"""The patient's self-care plan and safety-netting (SPEC §6), as codes with words to print."""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from .facts import Facts
from .record import Record


@dataclass(frozen=True, slots=True)
class Advice(Record):
    code: str
    text: str


ADVICE_TEXT = {
    "keep_active": (
        "A short rest is fine, but long bed rest weakens muscles and slows recovery. "
        "Keep moving gently and carry on with daily activities as far as you can."
    ),
    "heat_cold": (
        "Use a cold pack for the first 48 hours to calm inflammation, then heat to relax "
        "tight muscles."
    ),
    "gentle_stretching": (
        "Once the worst pain eases, stretch your back, hamstrings and core gently."
    ),
    "pain_relief": (
        "Over-the-counter pain relief such as ibuprofen or paracetamol (acetaminophen) can help; "
        "follow the pack's directions, and ask a pharmacist or doctor if it is not enough."
    ),
    "massage": "Massage can ease knotted muscles and stress.",
    "hydration": "Drink enough water: dehydration can make muscles cramp.",
    "posture": (
        "Mind your posture when sitting, standing and lifting: take breaks from sitting, and "
        "lift with your knees bent and the load close to your body."
    ),
    "stress": "Stress tightens muscles; regular relaxation can help them let go.",
    "prevention": (
        "To help stop it coming back, strengthen your core and exercise regularly, for example "
        "walking, swimming or yoga."
    ),
    "safety_net_emergency": (
        "Go to an emergency department at once if you get numbness around your genitals or "
        "back passage, new trouble passing urine or controlling your bowel, or weakness in "
        "both legs."
    ),
    "safety_net_review": (
        "See a clinician if the pain is severe, keeps coming back, or is not improving after "
        "two weeks of home care."
    ),
}
ADVICE = {code: Advice(code, text) for code, text in ADVICE_TEXT.items()}

# The rest of the home-care plan. Only `keep_active` also goes to people waiting for
# physiotherapy; none of it precedes a medical referral, where exercise could harm (a fracture,
# cord compression) before a clinician has seen the patient.
_HOME_ONLY = ("heat_cold", "gentle_stretching", "massage", "prevention")


@dataclass(frozen=True, eq=False)
class AdvicePlan:
    """A ruleset's advice (SPEC §6): its items with their words, in order, and which of them a
    decision carries. Compared and hashed by identity, so plans can key a cache."""

    items: Mapping[str, Advice]

    def advise(self, f: Facts, disposition: str) -> tuple[Advice, ...]:
        """Advice in the order of SPEC §6; safety-netting is always included."""
        a = f.answers
        triggers = a.get("suspected_triggers") or ()
        return _plan(
            self,
            disposition,
            a["pain_score"] >= 7,
            "dehydration" in triggers or bool(a["spasm_present"]),
            "prolonged_posture" in triggers or "lifting_or_twisting" in triggers,
            "stress" in triggers,
        )


# The plan depends on nothing but these values, so there are only a few dozen plans per ruleset:
# each is built once and then shared (advice runs on every decision). The cache is bounded
# because a clinician's override passes its own disposition through advice_for.
@lru_cache(maxsize=512)
def _plan(
    plan: AdvicePlan,
    disposition: str,
    severe_pain: bool,
    hydration: bool,
    posture: bool,
    stress: bool,
) -> tuple[Advice, ...]:
    home = disposition == "home_care"
    wanted = {
        "keep_active": disposition != "medical_referral",
        "pain_relief": home or severe_pain,
        "hydration": hydration,
        "posture": posture,
        "stress": stress,
        "safety_net_emergency": True,
        "safety_net_review": True,
    }
    for code in _HOME_ONLY:
        wanted[code] = home
    return tuple(item for code, item in plan.items.items() if wanted[code])


# Rulesets 2026.1 and 2026.2 give the same advice (SPEC-2026.2 leaves SPEC §6 as it is).
ADVICE_2026_1 = AdvicePlan(ADVICE)
