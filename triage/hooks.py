"""Where the apps above triage plug into it. Triage never imports them: when an intake or a
review needs a referral to open or follow, triage calls one of these hooks, and the
referrals app registers what they do in its AppConfig.ready().

Each hook is one function; calling a hook that nothing registered is a configuration error
(an app is missing from INSTALLED_APPS), never a silent no-op."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured


class Hook:
    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.__doc__ = doc
        self._impl: Callable[..., Any] | None = None

    def register(self, impl: Callable[..., Any]) -> Callable[..., Any]:
        self._impl = impl
        return impl

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._impl is None:
            raise ImproperlyConfigured(f"Nothing is registered for the triage hook {self.name}.")
        return self._impl(*args, **kwargs)


open_referral = Hook(
    "open_referral",
    "(caller, intake, outcome, reasons, now) -> referral: "
    "open the referral a new intake's decision needs, inside the intake's transaction.",
)
lock_active_referral = Hook(
    "lock_active_referral",
    "(intake) -> referral or None: lock the intake's referral still in progress. A review "
    "takes it before writing any feed event.",
)
follow_review = Hook(
    "follow_review",
    "(caller, intake, active, decision_changed, outcome, reasons, note) -> referral or None: "
    "make the referral follow a review's final decision.",
)
referral_summary_serializer = Hook(
    "referral_summary_serializer",
    "() -> the serializer class an intake shows its latest referral with.",
)
referrals_for_admin = Hook(
    "referrals_for_admin",
    "(intake) -> the intake's referrals as the intake's admin page lists them.",
)
