"""Where a decision sends the patient: the four values that a decision, a clinician's review,
a referral and the patient's letter all speak of."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outcome:
    disposition: str
    urgency: str
    service: str
    imaging: str
