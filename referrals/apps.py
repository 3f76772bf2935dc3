from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"

    def ready(self) -> None:
        # Triage never imports referrals: what it needs of them, it calls through its hooks,
        # registered here.
        from drf_spectacular.utils import extend_schema_field

        from clinic.api.feed_serializers import event_data
        from referrals import services
        from referrals.api.event_data import EVENT_DATA
        from referrals.api.serializers import ReferralSummarySerializer
        from referrals.selectors import with_overdue
        from triage import hooks
        from triage.api.serializers import IntakeSerializer

        hooks.open_referral.register(services.referral_open)
        hooks.lock_active_referral.register(services.active_referral_for_update)
        hooks.follow_review.register(services.referral_follow)
        hooks.referral_summary_serializer.register(lambda: ReferralSummarySerializer)
        hooks.referrals_for_admin.register(
            lambda intake: with_overdue(intake.referrals.all()).prefetch_related("history")
        )
        for event_type, serializer in EVENT_DATA.items():
            event_data(event_type)(serializer)  # the schema types each event's `data`
        # An intake's `referral` is this app's summary, in the schema as in the body.
        extend_schema_field(ReferralSummarySerializer(allow_null=True))(
            IntakeSerializer.get_referral
        )
