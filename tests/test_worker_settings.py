"""The background worker's settings: where tasks go, and how they are run.

Each environment is loaded in a subprocess, since settings are read once per process."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from clinic import celery_app

ROOT = Path(__file__).resolve().parents[1]

_SHOW_BROKER = """
import json, django
django.setup()
from django.conf import settings
from clinic import celery_app
print(json.dumps({
    "broker_url": celery_app.conf.broker_url,
    "transport_options": celery_app.conf.broker_transport_options,
    "always_eager": celery_app.conf.task_always_eager,
    "queues": {name: celery_app.amqp.router.route({}, name)["queue"].name
               for name in ("clinic.deliver_webhook", "clinic.deliver_webhooks",
                            "clinic.webhooks_sweep", "triage.replay_plan")},
}))
"""


def _settings_in(tmp_path: Path, environment: str, **env: str) -> subprocess.CompletedProcess:
    """Run _SHOW_BROKER with `environment` and `env`, and no broker, database or Django
    variable inherited from this process."""
    inherited = ("DJANGO_", "DATABASE_", "REDIS_", "CELERY_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    given = {
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "DJANGO_ENV": environment,
        "CLINIC_VAR_DIR": str(tmp_path),
        **env,
    }
    if environment == "production":
        given.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
        given.setdefault("DJANGO_ALLOWED_HOSTS", "triage.example.org")
        given.setdefault("WEBHOOK_SECRET_KEY", Fernet.generate_key().decode())
    return subprocess.run(
        [sys.executable, "-c", _SHOW_BROKER], cwd=ROOT, env={**base, **given},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _shown(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_refuses_to_start_without_a_broker(tmp_path):
    result = _settings_in(tmp_path, "production")

    assert result.returncode != 0
    assert "CELERY_BROKER_URL or REDIS_URL must be set in production" in result.stderr


def test_production_refuses_to_start_without_a_webhook_secret_key(tmp_path):
    """Derived from DJANGO_SECRET_KEY, the key would change with it and lock every stored
    webhook secret away; production must name its own."""
    missing = _settings_in(tmp_path, "production", REDIS_URL="redis://cache:6379/0",
                           WEBHOOK_SECRET_KEY="")  # fmt: skip
    given = _settings_in(tmp_path, "production", REDIS_URL="redis://cache:6379/0")

    assert missing.returncode != 0
    assert "WEBHOOK_SECRET_KEY must be set in production" in missing.stderr
    assert given.returncode == 0, given.stderr
    # Outside production the derived key will do (the demo, tests).
    assert _settings_in(tmp_path, "development", WEBHOOK_SECRET_KEY="").returncode == 0


def test_webhook_deliveries_have_a_queue_of_their_own_and_replays_keep_the_default(tmp_path):
    """The Procfile's `webhooks:` (threads) consumes `webhooks`; `worker:` the default queue
    and `webhooks` too, so that a deployment running `worker:` alone still delivers."""
    shown = _shown(_settings_in(tmp_path, "production", REDIS_URL="redis://cache:6379/0"))

    assert shown["queues"] == {
        "clinic.deliver_webhook": "webhooks",
        "clinic.deliver_webhooks": "webhooks",
        "clinic.webhooks_sweep": "webhooks",
        "triage.replay_plan": "celery",
    }
    procfile = (ROOT / "Procfile").read_text()
    processes = dict(line.split(": ", 1) for line in procfile.splitlines() if line.strip())
    worker = processes["worker"].split()
    assert worker[worker.index("-Q") + 1] == "celery,webhooks" and "-B" in worker
    webhooks = processes["webhooks"].split()
    assert "-Q" in webhooks and webhooks[webhooks.index("-Q") + 1] == "webhooks"
    assert "-P" in webhooks and webhooks[webhooks.index("-P") + 1] == "threads"
    assert "-B" not in webhooks  # one beat in all: the worker's
    assert "--concurrency ${WEBHOOK_WORKER_CONCURRENCY:-16}" in processes["webhooks"]


def test_production_sends_tasks_to_redis_url_or_to_celery_broker_url_first(tmp_path):
    redis = _shown(_settings_in(tmp_path, "production", REDIS_URL="redis://cache:6379/0"))
    both = _shown(
        _settings_in(tmp_path, "production", REDIS_URL="redis://cache:6379/0",
                     CELERY_BROKER_URL="redis://broker:6379/1")
    )  # fmt: skip

    assert redis["broker_url"] == "redis://cache:6379/0"
    assert both["broker_url"] == "redis://broker:6379/1"
    assert redis["always_eager"] is both["always_eager"] is False


def test_development_without_a_broker_keeps_the_queue_in_the_var_dir(tmp_path):
    shown = _shown(_settings_in(tmp_path, "development"))

    assert shown["broker_url"].startswith("filesystem://")
    options = shown["transport_options"]
    queue = tmp_path / "celery-broker" / "queue"
    assert options["data_folder_in"] == options["data_folder_out"] == str(queue)
    for key in ("data_folder_in", "processed_folder", "control_folder"):
        folder = Path(options[key])
        assert folder.is_dir() and folder.is_relative_to(tmp_path), key
    assert shown["always_eager"] is False  # `make run` hands tasks to its worker


def test_tests_run_tasks_in_process_unless_told_otherwise(tmp_path):
    assert celery_app.conf.task_always_eager is True
    assert celery_app.conf.task_eager_propagates is True
    told = _shown(_settings_in(tmp_path, "test", CELERY_TASK_ALWAYS_EAGER="false"))
    assert told["always_eager"] is False


def test_tasks_survive_a_lost_worker_and_travel_as_json_only():
    conf = celery_app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_ignore_result is True
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == conf.result_serializer == "json"
    assert conf.worker_hijack_root_logger is False
