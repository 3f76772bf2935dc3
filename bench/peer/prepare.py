"""Prepare the peer's database for bench/http_load.py, in a process of its own (the peer is
a Django project of its own; http_load.py's process is set up with the app's settings).

    DJANGO_SETTINGS_MODULE=bench.peer.settings python bench/peer/prepare.py --intakes 5000

Migrates, creates the load test's user and its token, and tops the intakes up to --intakes
through the peer's own serializer (so they are what its POST stores), with the load test's
request bodies. Intakes the load test POSTed are left for bench/http_load.py to delete
(before each run). Prints one JSON object: the token, the intakes, how many were seeded now
and how long that took.
"""

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Seeded patients' external ids start with this; bench/http_load.py keeps only their intakes.
SEED_PREFIX = "SEED-"
USERNAME = "bench.peer"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--intakes", type=int, default=5000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from bench.http_load import request_bodies
    from bench.peer.intakes.models import Intake
    from bench.peer.intakes.serializers import IntakeSerializer, grade

    call_command("migrate", verbosity=0, interactive=False)
    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    token, _ = Token.objects.get_or_create(user=user)

    mix = request_bodies()
    for expected, text in mix:  # the peer grades the mix as the app decides it
        graded = grade(json.loads(text)["answers"])[0]
        assert graded == expected, (expected, graded)
    bodies = [text for _, text in mix]
    have = Intake.objects.filter(patient__external_id__startswith=SEED_PREFIX).count()
    seeded, started = 0, time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    for n in range(have, args.intakes):
        text = bodies[n % len(bodies)].replace("__UNIQUE__", f"{SEED_PREFIX}{stamp}-{n}")
        serializer = IntakeSerializer(data=json.loads(text))
        serializer.is_valid(raise_exception=True)
        serializer.save()
        seeded += 1
    if seeded:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    json.dump(
        {
            "token": token.key,
            "listed_intakes": max(have, args.intakes),
            "seeded": seeded,
            "seed_seconds": time.perf_counter() - started,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
