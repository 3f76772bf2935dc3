"""A move of a referral from the dashboard's worklist: the same service as the API's
POST /referrals/{id}/transitions/, with the version the row was drawn at as If-Match."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clinic.admin_mixins import audit_admin, expect_audit_on_error, staff_caller
from clinic.errors import Conflict, Invalid, NotFound, PreconditionFailed
from clinic.scoping import for_caller
from referrals.models import Referral
from referrals.services import referral_transition
from triage.admin.display import words

ACTION = "admin.referral.transition"


def _back(request: HttpRequest, level: int, text: str) -> HttpResponseRedirect:
    """To the dashboard as it was (its filters), never to another site, saying `text`: every
    move ends there with one message of what happened."""
    messages.add_message(request, level, text)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("triage-dashboard")
    return HttpResponseRedirect(f"{target.split('#')[0]}#worklist")


def _version(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@require_POST
def move_view(request: HttpRequest, referral_id) -> HttpResponse:
    expect_audit_on_error(request, ACTION, "referral", referral_id)
    caller = staff_caller(request)
    to = request.POST.get("to", "")
    note = request.POST.get("note", "")
    version = _version(request.POST.get("version", ""))
    if version is None:
        # The worklist always sends the version it drew: a move without one would move
        # whatever is current, which is how a referral gets moved twice.
        return _back(
            request, messages.ERROR, "That move came without the referral's version; nothing moved."
        )
    try:
        referral = referral_transition(
            caller=caller, referral_id=referral_id, to=to, note=note, expected_version=version
        )
    except NotFound:
        raise Http404 from None
    except (PreconditionFailed, Conflict):
        current = (
            for_caller(Referral.objects.select_related("patient"), caller)
            .filter(pk=referral_id)
            .first()
        )
        if current is None:
            raise Http404 from None
        audit_admin(request, ACTION, 412, current)
        return _back(
            request,
            messages.WARNING,
            f"Patient {current.patient.external_id}'s referral changed meanwhile: it is now "
            f"{words(current.status).lower()}. Nothing was moved; the list shows it as it is now.",
        )
    except Invalid as error:
        current = for_caller(Referral.objects.all(), caller).filter(pk=referral_id).first()
        if current is not None:
            audit_admin(request, ACTION, 400, current)
        text = "; ".join(str(m) for errors in error.errors.values() for m in errors)
        return _back(request, messages.ERROR, f"Nothing was moved: {text}")
    audit_admin(request, ACTION, 200, referral)
    now = words(referral.status).lower()
    text = f"Patient {referral.patient.external_id}'s referral is now {now}."
    return _back(request, messages.SUCCESS, text)
