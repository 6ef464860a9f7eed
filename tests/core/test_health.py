from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from px360 import __version__
from px360.core.models import JobHeartbeat
from px360.core.tasks import QUEUE_HEARTBEAT, heartbeat

pytestmark = pytest.mark.django_db


def test_ok_when_database_answers_and_queue_beat_recently(client):
    heartbeat()
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok", "version": __version__}


def test_error_when_queue_heartbeat_is_stale(client, settings):
    JobHeartbeat.objects.create(
        name=QUEUE_HEARTBEAT,
        last_run_at=timezone.now() - timedelta(seconds=settings.PX360_QUEUE_HEARTBEAT_MAX_AGE + 5),
    )
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["queue"] == "stale"


def test_error_when_queue_never_ran(client):
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["queue"] == "error"


def test_error_when_database_is_unreachable(client):
    heartbeat()
    with mock.patch("px360.core.views.connection.cursor", side_effect=Exception("connection refused")):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "error"
    assert response.json()["database"] == "error"


def test_health_is_never_cached(client):
    heartbeat()
    assert "no-cache" in client.get("/health/")["Cache-Control"]
