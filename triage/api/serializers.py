"""Input serializers validate; output serializers shape. Neither decides anything clinical."""

from datetime import UTC, date, datetime
from functools import cache, cached_property
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.api.feed_serializers import EventSerializer
from clinic.api.fields import (
    FixedFieldsModelSerializer,
    StrictBooleanField,
    StrictChoiceField,
    StrictIntegerField,
    StrictRegexField,
    StrictSerializer,
    UniqueChoiceListField,
)
from clinic.api.renderers import StoredJSON
from clinic.errors import Invalid
from triage import hooks
from triage.decisions import latest_referral, latest_review
from triage.engine import vocabulary as v
from triage.models import Intake, Patient, Review
from triage.questionnaire import ANSWER_QUESTIONS, STARTBACK_QUESTIONS, Question
from triage.services import IntakeCreated, review_validate

OLDEST_AGE_YEARS = 130

# The rules a decision and a review keep that a schema cannot express (triage.services.
# review_validate enforces them on a review; the engine's rules only ever make such decisions),
# written out from the vocabulary so that the words cannot drift from it.
SERVICES_RULE = (
    "The service must suit the disposition: "
    + "; ".join(
        f"`{disposition}`: " + ", ".join(f"`{service}`" for service in services)
        for disposition, services in v.SERVICES_BY_DISPOSITION.items()
    )
    + "."
)
URGENCY_RULE = (
    "Only a `medical_referral` can be `urgent` or `emergency`: home care and physiotherapy "
    "(either service) are always `routine`, so physiotherapy is never urgent."
)
IMAGING_RULE = "Only a `medical_referral` recommends imaging: otherwise `none`."
REVIEW_RULES = f"{SERVICES_RULE} {URGENCY_RULE} {IMAGING_RULE}"


def _earliest_birth_date(today: date) -> date:
    """The earliest birth date accepted: exactly OLDEST_AGE_YEARS ago."""
    try:
        return today.replace(year=today.year - OLDEST_AGE_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year - OLDEST_AGE_YEARS, day=28)


def _field_for(question: Question) -> serializers.Field:
    """The validating field for one questionnaire item; the questionnaire is the source."""
    common: dict[str, Any] = {"required": question.required, "help_text": question.text}
    if question.kind == "integer":
        return StrictIntegerField(min_value=question.minimum, max_value=question.maximum, **common)
    if question.kind == "boolean":
        return StrictBooleanField(**common)
    if question.kind == "choice":
        return StrictChoiceField(question.values, **common)
    if question.kind == "multi_choice":
        # An optional list may be left out or sent as null: either means none chosen.
        return UniqueChoiceListField(question.values, allow_null=not question.required, **common)
    raise ValueError(f"No field for {question.kind}")


def _serializer_class(name: str, questions: tuple[Question, ...], **extra: Any) -> type:
    fields = {q.field: _field_for(q) for q in questions if q.kind != "group"}
    return type(name, (StrictSerializer,), {**fields, **extra})


StartBackAnswersSerializer = _serializer_class("StartBackAnswers", STARTBACK_QUESTIONS)
AnswersSerializer = _serializer_class(
    "Answers",
    ANSWER_QUESTIONS,
    startback=StartBackAnswersSerializer(help_text="The nine STarT Back screening items."),
)


class PatientInputSerializer(StrictSerializer):
    external_id = StrictRegexField(
        r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        max_length=64,
        help_text="The reception system's identifier for the patient, unique in the branch.",
        error_messages={"invalid": "Use letters, digits and . _ : / - only."},
    )
    date_of_birth = serializers.DateField(
        input_formats=["iso-8601"],
        help_text=f"`YYYY-MM-DD`. Not in the future (the clinic's date), and within the last "
        f"{OLDEST_AGE_YEARS} years: else 400 (`future`, `too_old`).",
    )
    sex = StrictChoiceField(v.SEXES)

    def validate_date_of_birth(self, value: date) -> date:
        today = timezone.localdate()
        if value > today:
            raise serializers.ValidationError("Must not be in the future.", code="future")
        if value < _earliest_birth_date(today):
            raise serializers.ValidationError(
                f"Must be within the last {OLDEST_AGE_YEARS} years.", code="too_old"
            )
        return value


class EvaluatePatientSerializer(PatientInputSerializer):
    """An evaluation stores nothing, so it needs no patient reference."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["external_id"].required = False


class IntakeInputSerializer(StrictSerializer):
    patient = PatientInputSerializer()
    answers = AnswersSerializer()


class EvaluateInputSerializer(StrictSerializer):
    patient = EvaluatePatientSerializer()
    answers = AnswersSerializer()


# Output -----------------------------------------------------------------------------------


class StartBackScoreSerializer(serializers.Serializer):
    total = serializers.IntegerField(min_value=0, max_value=9)
    psychosocial = serializers.IntegerField(min_value=0, max_value=5)
    risk = serializers.ChoiceField(v.RISKS)


class RedFlagSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    level = serializers.ChoiceField(v.RED_FLAG_LEVELS)
    status = serializers.ChoiceField(
        v.RED_FLAG_STATUSES, help_text="unanswered: the patient could not say."
    )
    source = serializers.CharField()


class ReasonSerializer(serializers.Serializer):
    rule_id = serializers.CharField(help_text="The rule of the rule table, such as E1 or S3.")
    text = serializers.CharField(help_text="Plain language for the front desk.")
    source = serializers.CharField()


class AdviceSerializer(serializers.Serializer):
    code = serializers.CharField()
    text = serializers.CharField()


class WatchForSerializer(serializers.Serializer):
    finding = serializers.CharField(help_text="The answer field, such as `saddle_numbness`.")
    urgency = serializers.ChoiceField(
        v.URGENCIES,
        help_text="The urgency the decision would have with this finding (always "
        "higher than the decision's).",
    )
    text = serializers.CharField(help_text="For the patient: what to look for and what to do.")


class DecisionSerializer(serializers.Serializer):
    """The triage decision (SPEC §1), as the engine computed it."""

    disposition = serializers.ChoiceField(v.DISPOSITIONS)
    urgency = serializers.ChoiceField(v.URGENCIES, help_text=URGENCY_RULE)
    service = serializers.ChoiceField(v.SERVICES, help_text=SERVICES_RULE)
    imaging = serializers.ChoiceField(v.IMAGING, help_text=IMAGING_RULE)
    startback = StartBackScoreSerializer()
    red_flags = RedFlagSerializer(many=True)
    reasons = ReasonSerializer(many=True, help_text="Every rule that fired, in rule order.")
    advice = AdviceSerializer(many=True)
    age = serializers.IntegerField(help_text="Whole years on the intake date.")
    ruleset_version = serializers.CharField(help_text="The version it was decided under.")
    watch_for = WatchForSerializer(
        many=True,
        required=False,
        help_text="From ruleset 2026.2 on (absent before): the findings the patient does not "
        "have now that would raise the urgency, emergency first; empty for an emergency.",
    )


@extend_schema_field(DecisionSerializer)
class StoredDecisionField(serializers.Field):
    """The stored decision goes out as stored: it was shaped by the engine when computed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return value.decision


@extend_schema_field(AnswersSerializer)
class StoredAnswersField(serializers.Field):
    """Output only, and only for callers who may see the answers (minimum necessary). Not
    marked read-only: drf-spectacular lists every read-only field as required in a response,
    and the answers are left out altogether for a reception caller."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def get_attribute(self, intake: Intake) -> Any:
        # Decided before the answers are read, so a list for reception never loads them
        # (the selector defers them); SkipField leaves the key out of the response.
        caller = self.context.get("caller")
        if caller is None or not caller.sees_answers_in(intake.branch_id):
            raise serializers.SkipField()
        return intake.answers

    def to_internal_value(self, data: Any) -> Any:
        raise NotImplementedError("The stored answers are never written through this field.")

    def to_representation(self, value: Any) -> Any:
        return value


class PatientSerializer(FixedFieldsModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "external_id", "date_of_birth", "sex"]


class ReviewSerializer(FixedFieldsModelSerializer):
    disposition = serializers.ChoiceField(v.DISPOSITIONS)
    urgency = serializers.ChoiceField(v.URGENCIES)
    service = serializers.ChoiceField(v.SERVICES)
    imaging = serializers.ChoiceField(v.IMAGING)
    reviewer = serializers.CharField(source="reviewer.get_username", read_only=True)

    class Meta:
        model = Review
        fields = ["id", "disposition", "urgency", "service", "imaging", "reason", "overridden",
                  "reviewer", "created_at"]  # fmt: skip
        read_only_fields = fields


class IntakeSerializer(FixedFieldsModelSerializer):
    patient = PatientSerializer()
    answers = StoredAnswersField(help_text="Clinicians and clinic admins only (minimum necessary).")
    assessment = StoredDecisionField()
    review = serializers.SerializerMethodField(help_text="The latest clinician review, if any.")
    referral = serializers.SerializerMethodField(
        help_text="The latest referral this intake opened, in whatever status it is now; "
        "null if it never needed one."
    )

    class Meta:
        model = Intake
        fields = ["id", "patient", "submitted_at", "questionnaire_version", "answers",
                  "assessment", "review", "referral", "test"]  # fmt: skip
        extra_kwargs = {"test": {"help_text": "Sent with a test key: not in the clinic's "
                                 "figures or worklist."}}  # fmt: skip
        read_only_fields = fields

    # One nested serializer per list, not one per row: building a serializer copies its
    # fields, which was a tenth of a list page's CPU.
    @cached_property
    def _review_out(self) -> ReviewSerializer:
        return ReviewSerializer(context=self.context)

    @cached_property
    def _referral_out(self) -> serializers.Serializer:
        return hooks.referral_summary_serializer()(context=self.context)

    def _created(self, intake: Intake) -> IntakeCreated | None:
        """What intake_create returned, when this is its response (the view passes it in the
        context): the review and referral then are known without a query."""
        created = self.context.get("created")
        return created if created is not None and created.intake is intake else None

    @extend_schema_field(ReviewSerializer(allow_null=True))
    def get_review(self, intake: Intake) -> dict | None:
        created = self._created(intake)
        if created is None:
            review = latest_review(intake)
        else:
            review = created.reviews[0] if created.reviews else None
        return None if review is None else self._review_out.to_representation(review)

    # Its schema is the referrals app's summary, declared where that app registers it.
    def get_referral(self, intake: Intake) -> dict | None:
        created = self._created(intake)
        referral = latest_referral(intake) if created is None else created.referral
        return None if referral is None else self._referral_out.to_representation(referral)


class IntakeListItems:
    """The API list's items, from `selectors.intake_list`'s rows: each shaped exactly as
    IntakeSerializer shapes the intake (the tests hold every item equal to the intake's own
    body), but built directly from the columns. Through the serializer, with a model built
    for each intake, its patient and its assessment, and the stored JSON decoded and encoded
    again, a page of 25 cost three times the CPU."""

    _date_of_birth = serializers.DateField()

    def __init__(self, context: dict[str, Any]) -> None:
        self.caller = context["caller"]
        # The zone the times are shown in, looked up once rather than once per time.
        self._submitted_at = serializers.DateTimeField(
            default_timezone=timezone.get_current_timezone()
        )
        self.review_out = ReviewSerializer(context=context)
        self._referral_fields = _referral_fields()

    @staticmethod
    def referral_columns() -> tuple[str, ...]:
        """The referral's columns that its summary shows (for selectors.intake_list)."""
        return _referral_columns()

    def __call__(
        self, rows: list[dict[str, Any]], reviews: dict[Any, Review]
    ) -> list[dict[str, Any]]:
        return [self._item(row, reviews.get(row["id"])) for row in rows]

    def _item(self, row: dict[str, Any], review: Review | None) -> dict[str, Any]:
        item = {
            "id": str(row["id"]),
            "patient": {
                "id": str(row["patient_id"]),
                "external_id": row["patient__external_id"],
                "date_of_birth": self._date_of_birth.to_representation(
                    row["patient__date_of_birth"]
                ),
                "sex": row["patient__sex"],
            },
            "submitted_at": self._submitted_at.to_representation(row["submitted_at"]),
            "questionnaire_version": row["questionnaire_version"],
        }
        # As StoredAnswersField: the key is left out where the caller may not see answers.
        if "answers_json" in row and self.caller.sees_answers_in(row["branch_id"]):
            item["answers"] = _stored(row["answers_json"])
        item["assessment"] = _stored(row["decision_json"])
        item["review"] = None if review is None else self.review_out.to_representation(review)
        item["referral"] = None if row["referral"] is None else self._referral(row["referral"])
        item["test"] = row["test"]
        return item

    def _referral(self, stored: dict[str, Any]) -> dict[str, Any]:
        """The summary from its columns as the database wrote them into JSON: each read back
        by its model field (a UUID, a time), then shown by the summary serializer's field."""
        summary = {}
        for name, field, column in self._referral_fields:
            value = stored[field.source]
            if value is not None:
                value = column.to_python(value)
                if isinstance(value, datetime) and timezone.is_naive(value):
                    value = value.replace(tzinfo=UTC)  # SQLite keeps UTC times without a zone
                value = field.to_representation(value)
            summary[name] = value
        return summary


@cache
def _referral_columns() -> tuple[str, ...]:
    return tuple(field.source for _, field, _ in _referral_fields())


@cache
def _referral_fields() -> tuple[tuple[str, serializers.Field, Any], ...]:
    """The referral summary's fields (name, serializer field, model field), made once per
    process: a serializer copies its fields anew for each instance, a tenth of the items'
    CPU on every page. Its fields show values alone, with nothing of the request's."""
    summary = hooks.referral_summary_serializer()()
    model = summary.Meta.model
    return tuple(
        (name, field, model._meta.get_field(field.source)) for name, field in summary.fields.items()
    )


def _stored(text: str | None) -> StoredJSON | None:
    return None if text is None else StoredJSON(text)


class ReviewInputSerializer(StrictSerializer):
    disposition = StrictChoiceField(v.DISPOSITIONS)
    urgency = StrictChoiceField(v.URGENCIES, help_text=f"{URGENCY_RULE} Else 400.")
    service = StrictChoiceField(v.SERVICES, help_text=f"{SERVICES_RULE} Else 400.")
    imaging = StrictChoiceField(
        v.IMAGING,
        required=False,
        help_text=f"{IMAGING_RULE} Else 400. Defaults to the assessment's for a medical "
        "referral, `none` otherwise.",
    )
    reason = serializers.CharField(max_length=2000, help_text="Why: kept with the review.")

    def validate(self, data: dict) -> dict:
        # The clinical rules are the service's, shared with the admin's review form.
        try:
            review_validate(
                disposition=data["disposition"],
                urgency=data["urgency"],
                service=data["service"],
                imaging=data.get("imaging"),
            )
        except Invalid as error:
            raise serializers.ValidationError(error.errors) from None
        return data


class CarePlanSerializer(serializers.Serializer):
    intake = serializers.UUIDField()
    disposition = serializers.ChoiceField(v.DISPOSITIONS)
    urgency = serializers.ChoiceField(v.URGENCIES)
    service = serializers.ChoiceField(v.SERVICES)
    decided_by = serializers.ChoiceField(("assessment", "review"))
    ruleset_version = serializers.CharField(help_text="The version the intake was decided under.")
    watch_for = WatchForSerializer(
        many=True,
        required=False,
        help_text="Come back at once if: the decision's `watch_for` (from ruleset 2026.2 on; "
        "absent before), less any entry a clinician's review has made no higher than its own "
        "urgency.",
    )
    advice = AdviceSerializer(many=True)


class PatientHistorySerializer(serializers.Serializer):
    patient = PatientSerializer()
    events = EventSerializer(many=True, help_text="Oldest first.")


class RuleSerializer(serializers.Serializer):
    id = serializers.CharField()
    group = serializers.ChoiceField(
        ("emergency", "urgent", "routine_medical", "stratified", "step_up")
    )
    title = serializers.CharField()
    condition = serializers.CharField(help_text="The condition in words.")
    disposition = serializers.ChoiceField(v.DISPOSITIONS)
    urgency = serializers.ChoiceField(v.URGENCIES)
    services = serializers.ListField(child=serializers.ChoiceField(v.SERVICES))
    imaging = serializers.ListField(child=serializers.ChoiceField(v.IMAGING))
    source = serializers.CharField()


class RuleTableSerializer(serializers.Serializer):
    ruleset_version = serializers.CharField()
    rules = RuleSerializer(many=True)


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="What to send as the answer.")
    label = serializers.CharField(help_text="What to show the patient.")


# The questionnaire as triage.questionnaire.Question.as_dict() writes it: the view sends that
# dict as is, so these serializers only describe it (a comment, not a docstring, which would
# become the component's description).
class QuestionSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="The key of the answer in `answers` (or `patient`).")
    type = serializers.ChoiceField(
        ("integer", "boolean", "choice", "multi_choice", "group", "string", "date"),
        help_text="`choice`: one of `choices`; `multi_choice`: a list of distinct values of "
        "`choices`; `group`: an object whose answers are `items`.",
    )
    required = serializers.BooleanField()
    text = serializers.CharField()
    help = serializers.CharField(allow_blank=True)
    choices = ChoiceSerializer(
        many=True, required=False, help_text="For `choice` and `multi_choice` only."
    )
    minimum = serializers.IntegerField(required=False, help_text="For `integer` only.")
    maximum = serializers.IntegerField(required=False, help_text="For `integer` only.")
    red_flag = serializers.BooleanField(required=False)


# A group's items are questions themselves: declared after the class so that it can name itself
# (drf-spectacular then writes a `$ref` to the same `Question` component).
QuestionSerializer._declared_fields["items"] = QuestionSerializer(
    many=True, required=False, help_text="For `group` only: its questions."
)


class QuestionnaireSerializer(serializers.Serializer):
    version = serializers.CharField()
    ruleset_version = serializers.CharField(
        allow_null=True, help_text="The version your branch's intakes are decided under now."
    )
    patient = QuestionSerializer(many=True)
    answers = QuestionSerializer(many=True)
