"""Every branch that exists when rulesets become versioned stays on 2026.1, the ruleset it has
always been decided under, active since the branch was created, until a safety officer
activates another. (Branches created later start on the newest version: triage.rulesets.)"""

import uuid

from django.db import migrations
from django.utils import timezone


def existing_branches_stay_on_2026_1(apps, schema_editor):
    Branch = apps.get_model("clinic", "Branch")
    RulesetActivation = apps.get_model("triage", "RulesetActivation")
    now = timezone.now()
    RulesetActivation.objects.bulk_create(
        RulesetActivation(
            id=uuid.uuid4(),
            branch_id=branch.id,
            version="2026.1",
            effective_from=branch.created_at,
            created_at=now,
        )
        for branch in Branch.objects.all()
    )


class Migration(migrations.Migration):
    dependencies = [("triage", "0008_rulesets_and_replays")]

    operations = [
        migrations.RunPython(existing_branches_stay_on_2026_1, migrations.RunPython.noop),
    ]
