from django.db import connection


def test_healthz_needs_no_key_and_checks_the_database(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_unknown_paths_answer_json_404(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "path"


def test_sqlite_is_set_up_for_concurrent_writers(db):
    if connection.vendor != "sqlite":
        assert connection.vendor == "postgresql"
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
