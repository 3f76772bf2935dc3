from django.urls import re_path
from rest_framework.routers import SimpleRouter

from clinic.api.print_links import TOKEN
from referrals.api import views

router = SimpleRouter()
router.register("referrals", views.ReferralViewSet, basename="referral")
urlpatterns = [
    re_path(
        rf"^print-links/letter/(?P<token>{TOKEN})/$",
        views.LetterLinkView.as_view(),
        name="letter-link",
    ),
    *router.urls,
]
