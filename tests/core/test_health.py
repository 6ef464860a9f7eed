import logging
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from px360 import __version__
from px360.core.models import JobHeartbeat
from px360.core.tasks import QUEUE_HEARTBEAT, heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def started_long_ago(monkeypatch):
    """The web process has been up for longer than the start-up grace period."""
    from px360.core import views

    monkeypatch.setattr(views, "PROCESS_STARTED", time.monotonic() - views.STARTING_GRACE_SECONDS - 1)


@pytest.fixture
def just_started(monkeypatch):
    """The web process started a few seconds ago, together with the job cluster."""
    from px360.core import views

    monkeypatch.setattr(views, "PROCESS_STARTED", time.monotonic() - 5)


def test_ok_when_database_answers_and_queue_beat_recently(client):
    heartbeat()
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok", "version": __version__}


def test_error_when_queue_heartbeat_is_stale(client, settings, started_long_ago):
    JobHeartbeat.objects.create(
        name=QUEUE_HEARTBEAT,
        last_run_at=timezone.now() - timedelta(seconds=settings.PX360_QUEUE_HEARTBEAT_MAX_AGE + 5),
    )
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["queue"] == "stale"


def test_error_when_queue_never_ran(client, started_long_ago):
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["queue"] == "error"


def test_error_when_database_is_unreachable(client, just_started):
    heartbeat()
    with mock.patch("px360.core.views.connection.cursor", side_effect=Exception("connection refused")):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "error"


def test_health_is_never_cached(client):
    heartbeat()
    assert "no-cache" in client.get("/health/")["Cache-Control"]


def test_starting_not_error_while_the_cluster_has_not_yet_beaten_after_start(client, just_started, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "starting", "database": "ok", "queue": "starting", "version": __version__}
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_starting_when_the_last_beat_is_from_before_a_restart(client, settings, just_started):
    JobHeartbeat.objects.create(name=QUEUE_HEARTBEAT, last_run_at=timezone.now() - timedelta(days=1))
    response = client.get("/health/")
    assert response.status_code == 200 and response.json()["status"] == "starting"


def test_ok_as_soon_as_the_cluster_beats_after_start(client, just_started):
    heartbeat()
    assert client.get("/health/").json()["status"] == "ok"


def test_an_error_is_logged_once_the_grace_period_is_over(client, started_long_ago, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get("/health/")
    assert response.status_code == 503 and response.json()["status"] == "error"
    assert [record for record in caplog.records if record.levelno >= logging.ERROR]
