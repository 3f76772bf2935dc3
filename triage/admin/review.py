"""The clinician's review in the admin: the same rules as POST /intakes/{id}/review/ (the
service's review_validate checks them for both) and the same service writes it."""

from django import forms

from clinic.choices import labelled_choices
from clinic.errors import Invalid
from triage.admin.display import words
from triage.engine import vocabulary as v
from triage.models import Intake
from triage.services import review_validate

AS_ASSESSED = ""
CONFIRMED = "Confirmed as decided."


class ReviewForm(forms.Form):
    disposition = forms.ChoiceField(choices=labelled_choices(v.DISPOSITIONS, words))
    urgency = forms.ChoiceField(choices=labelled_choices(v.URGENCIES, words))
    service = forms.ChoiceField(choices=labelled_choices(v.SERVICES, words))
    imaging = forms.ChoiceField(
        choices=[(AS_ASSESSED, "As assessed"), *labelled_choices(v.IMAGING, words)],
        required=False,
        help_text="For a medical referral, 'As assessed' keeps the engine's recommendation.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=2000,
        help_text="Why you confirm or change the decision. Kept with the review and shown in "
        "the referral's history.",
    )

    @classmethod
    def for_intake(cls, intake: Intake, data=None) -> "ReviewForm":
        """Starts from the decision as it stands, so a confirmation is one reason away."""
        current = intake.reviews.order_by("-created_at", "-id").first() or intake.assessment
        initial = {name: getattr(current, name) for name in ("disposition", "urgency", "service")}
        return cls(data=data, initial=initial)

    @staticmethod
    def confirming(intake: Intake) -> dict[str, str]:
        """The form's data for "confirm as decided": the decision as it stands, unchanged."""
        review = intake.reviews.order_by("-created_at", "-id").first()
        current = review or intake.assessment
        data = {name: getattr(current, name) for name in ("disposition", "urgency", "service")}
        data["imaging"] = review.imaging if review is not None else AS_ASSESSED
        data["reason"] = CONFIRMED
        return data

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        review = {k: cleaned[k] for k in ("disposition", "urgency", "service", "reason")}
        review["imaging"] = cleaned.get("imaging") or None
        try:
            review_validate(**{k: review[k] for k in ("disposition", "urgency", "service",
                                                      "imaging")})  # fmt: skip
        except Invalid as error:
            for field, messages in error.errors.items():
                for message in messages:
                    self.add_error(field if field in self.fields else None, str(message))
            return cleaned
        return review
