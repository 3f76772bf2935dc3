"""The intake questionnaire (SPEC §2): every item with its type, allowed values and our words.

Plain data with no Django import. The API serves it so a reception system can render the form,
and the API's validation is built from it, so the form and the checks cannot drift apart.
The STarT Back items are scored as Keele publishes, but every question here is our own wording.
"""

import dataclasses
from dataclasses import dataclass
from typing import Any

from triage.engine import vocabulary as v

QUESTIONNAIRE_VERSION = "2026.1"

YES_NO_UNKNOWN = (("yes", "Yes"), ("no", "No"), ("unknown", "Not sure"))


@dataclass(frozen=True)
class Question:
    """One answer field. `kind` is integer, boolean, choice, multi_choice or group."""

    field: str
    kind: str
    text: str
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    required: bool = True
    red_flag: bool = False
    # `dataclasses.field`, spelled out: inside this class `field` is the answer field's name.
    items: tuple["Question", ...] = dataclasses.field(default=())

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "field": self.field,
            "type": self.kind,
            "required": self.required,
            "text": self.text,
            "help": self.help,
        }
        if self.choices:
            data["choices"] = [{"value": val, "label": label} for val, label in self.choices]
        if self.minimum is not None:
            data["minimum"] = self.minimum
            data["maximum"] = self.maximum
        if self.red_flag:
            data["red_flag"] = True
        if self.items:
            data["items"] = [item.as_dict() for item in self.items]
        return data


def _red_flag(name: str, text: str, help_text: str = "") -> Question:
    assert name in v.RED_FLAG_ITEMS
    return Question(name, "choice", text, help_text, YES_NO_UNKNOWN, red_flag=True)


def _any_that_apply(
    name: str, text: str, values: tuple[str, ...], labels: dict[str, str]
) -> Question:
    """A multiple choice that may be left empty."""
    return Question(name, "multi_choice", text, "Choose any that apply.", required=False,
                    choices=_labelled(values, labels))  # fmt: skip


def _labelled(values: tuple[str, ...], labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    assert set(labels) == set(values)
    return tuple((value, labels[value]) for value in values)


STARTBACK_QUESTIONS = (
    Question("leg_pain", "boolean", "In the last two weeks, has your back pain spread into a leg?"),
    Question("shoulder_or_neck_pain", "boolean",
             "In the last two weeks, have you also had pain in your shoulder or neck?"),
    Question("walks_short_distances_only", "boolean",
             "In the last two weeks, has your back kept you to short walks only?"),
    Question("dresses_slowly", "boolean",
             "In the last two weeks, has your back made you slower than usual getting dressed?"),
    Question("activity_unsafe", "boolean",
             "Do you feel that being physically active is not really safe for someone with your "
             "back?"),
    Question("worrying_thoughts", "boolean",
             "Have worries about your back been on your mind much of the time?"),
    Question("pain_terrible_never_better", "boolean",
             "Do you feel your back pain is dreadful and that it will never improve?"),
    Question("no_enjoyment", "boolean",
             "Have you stopped enjoying things you used to enjoy?"),
    Question("bothersomeness", "choice",
             "Over the last two weeks, how much has your back pain bothered you?",
             choices=_labelled(v.BOTHERSOMENESS, {
                 "not_at_all": "Not at all", "slightly": "A little", "moderately": "Moderately",
                 "very_much": "A lot", "extremely": "Extremely"})),
)  # fmt: skip

ANSWER_QUESTIONS = (
    Question("pain_duration_days", "integer", "How many days ago did this episode of pain start?",
             "Count from the day this bout of pain began.", minimum=0, maximum=3650),
    Question("pain_score", "integer",
             "At its worst in the last 24 hours, how bad was the pain from 0 to 10?",
             "0 is no pain; 10 is the worst pain you can imagine.", minimum=0, maximum=10),
    Question("spasm_present", "boolean",
             "Do the muscles in your back tighten up suddenly or feel knotted?"),
    _any_that_apply("suspected_triggers", "What do you think set the pain off?", v.TRIGGERS, {
                 "lifting_or_twisting": "Lifting or twisting",
                 "prolonged_posture": "Sitting or standing for a long time",
                 "sport_or_exercise": "Sport or exercise", "dehydration": "Not drinking enough",
                 "stress": "Stress", "none_known": "I don't know"}),
    Question("first_ever_episode", "boolean", "Is this the first time you have had back pain "
             "like this?"),
    Question("prior_episodes_12m", "integer",
             "Apart from this one, how many separate bouts of back pain have you had in the last "
             "12 months?", minimum=0, maximum=52),
    Question("self_care_not_helping", "boolean",
             "Have you followed self-care advice for two weeks or more without getting better?"),
    Question("completed_physiotherapy", "boolean",
             "Have you finished a course of physiotherapy or exercise for this episode without "
             "enough improvement?"),
    Question("radiation_below_knee", "boolean", "Does the pain go down a leg below the knee?"),
    Question("bilateral_leg_symptoms", "boolean",
             "Do you have pain, numbness or heaviness in both legs?"),
    Question("leg_numbness", "boolean", "Do you have numbness or pins and needles in a leg?"),
    Question("leg_weakness", "choice", "Is either leg or foot weak?",
             "For example, tripping over your foot or a knee giving way.",
             choices=_labelled(v.LEG_WEAKNESS, {
                 "none": "No weakness", "stable": "Weak, but not getting worse",
                 "progressive": "Weak and getting worse"})),
    _red_flag("bladder_bowel_change",
              "Have you had new trouble passing urine, or any new leaking of urine or loss of "
              "bowel control?"),
    _red_flag("saddle_numbness",
              "Is there any new numbness around your back passage, genitals or inner thighs?",
              "For example, not feeling the toilet paper when you wipe."),
    _red_flag("sexual_dysfunction_new", "Have you noticed any new loss of sexual function or "
              "feeling?"),
    _red_flag("fever", "Have you had a fever, chills or sweats along with this back pain?"),
    _red_flag("cancer_history", "Have you ever had cancer?"),
    _red_flag("unexplained_weight_loss", "Have you lost weight without trying to?"),
    Question("trauma", "choice", "Did the pain start after an injury?",
             "A minor injury is a fall from standing height or less; a major one is a road "
             "accident, a fall from a height or a heavy blow.",
             choices=_labelled(v.TRAUMA, {
                 "none": "No injury", "minor": "Minor injury", "major": "Major injury",
                 "unknown": "Not sure"})),
    _red_flag("osteoporosis_or_steroids",
              "Do you have osteoporosis (thin bones), or have you taken steroid tablets for three "
              "months or more?"),
    _red_flag("immunosuppression_or_iv_drug_use",
              "Is your immune system weakened by an illness or medicines, or do you inject drugs?"),
    _red_flag("night_pain_unremitting",
              "Is the pain there at night whatever position you lie in?"),
    _red_flag("thoracic_pain",
              "Is the pain mainly in your upper or middle back, between the shoulder blades?"),
    _any_that_apply("inflammatory_features", "Do any of these apply to you?",
                    v.INFLAMMATORY_FEATURES, {
                 "night_waking_second_half": "The pain wakes me in the second half of the night",
                 "buttock_pain": "Pain in the buttocks",
                 "improves_with_movement": "The pain gets better when I move about",
                 "improves_with_nsaids": "Anti-inflammatory tablets (like ibuprofen) help a lot",
                 "family_history_spondyloarthritis":
                     "A close relative has spondyloarthritis (such as ankylosing spondylitis)",
                 "arthritis_history": "I have had arthritis",
                 "enthesitis_history": "I have had painful swelling where a tendon meets bone, "
                                       "such as the heel",
                 "psoriasis_history": "I have had psoriasis"}),
    Question("startback", "group", "About the last two weeks",
             "Tick yes for each statement you agree with.", items=STARTBACK_QUESTIONS),
)  # fmt: skip

PATIENT_QUESTIONS = (
    Question("external_id", "string", "Patient reference",
             "Your system's own identifier for this patient, unique within the branch. "
             "Optional for an evaluation."),
    Question("date_of_birth", "date", "Date of birth", "YYYY-MM-DD; age is worked out from it."),
    Question("sex", "choice", "Sex", "Recorded for the clinic; not used by the rules.",
             choices=_labelled(v.SEXES, {
                 "female": "Female", "male": "Male", "other": "Other",
                 "unknown": "Not known"})),
)  # fmt: skip


def questionnaire() -> dict[str, Any]:
    return {
        "version": QUESTIONNAIRE_VERSION,
        "ruleset_version": v.RULESET_VERSION,
        "patient": [question.as_dict() for question in PATIENT_QUESTIONS],
        "answers": [question.as_dict() for question in ANSWER_QUESTIONS],
    }
