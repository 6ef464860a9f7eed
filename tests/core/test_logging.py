"""The logs carry no survey link and no admin query string.

Each test reads what the handlers configured in ``settings.LOGGING`` actually
write (their stream is swapped for a buffer), or what gunicorn's logger class
named in ``gunicorn.conf.py`` formats, after a request a patient or an
attacker could make.
"""

import contextlib
import io
import logging
import runpy
import secrets
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.servers.basehttp import WSGIRequestHandler
from django.test.testcases import QuietWSGIRequestHandler
from gunicorn.config import Config

from px360.notifications.backends import ConsoleBackend
from px360.notifications.models import Notification

NATIONAL_ID = "1234567890"
ROOT = Path(__file__).resolve().parents[2]


def survey_token() -> str:
    return secrets.token_urlsafe(18)


@pytest.fixture
def log_output():
    """Everything the project's log handlers write during the test, as one string."""
    loggers = ["", "django", "django.request", "django.server", "px360", "px360.notifications"]
    handlers = {
        handler
        for name in loggers
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler) and not type(handler).__module__.startswith("_pytest")
    }
    assert handlers, "settings.LOGGING configures no stream handler"
    buffer = io.StringIO()
    previous = {handler: handler.setStream(buffer) for handler in handlers}
    try:
        yield buffer
    finally:
        for handler, stream in previous.items():
            handler.setStream(stream)


@pytest.mark.django_db
def test_an_unknown_survey_link_is_logged_without_its_token(client, log_output):
    token = survey_token()
    response = client.get(f"/s/{token}/")
    assert response.status_code == 404
    written = log_output.getvalue()
    assert "Not Found: /s/[redacted]/" in written
    assert token not in written


def test_runservers_access_log_hides_survey_tokens_and_admin_searches(live_server, monkeypatch, log_output):
    # The test server is quiet; give it back runserver's own access logging.
    monkeypatch.setattr(QuietWSGIRequestHandler, "log_message", WSGIRequestHandler.log_message)
    token = survey_token()
    for path in (f"/s/{token}/", f"/en/admin/organizations/patient/?q={NATIONAL_ID}"):
        # The link answers 404: the access line is what matters.
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(live_server.url + path, timeout=30)
    written = log_output.getvalue()
    assert '"GET /s/[redacted]/ HTTP/1.1" 404' in written
    assert '"GET /en/admin/organizations/patient/?[redacted] HTTP/1.1" 302' in written
    assert token not in written
    assert NATIONAL_ID not in written


def test_the_outbox_holds_the_link_and_the_log_does_not(settings, tmp_path, caplog, log_output):
    settings.PX360_OUTBOX_DIR = tmp_path
    token = survey_token()
    notification = Notification(
        id=uuid.uuid4(),
        channel="sms",
        recipient="+966501234567",
        language="ar",
        body=f"شاركنا رأيك: https://px.example.sa/s/{token}/",
    )
    caplog.set_level(logging.INFO, logger="px360.notifications")
    assert ConsoleBackend().send(notification).ok
    # Even a careless log line with the message in it comes out redacted.
    logging.getLogger("px360.notifications").warning("message body: %s", notification.body)
    written = log_output.getvalue()
    assert f"notification {notification.pk} written to the outbox" in written
    assert "message body: شاركنا رأيك: https://px.example.sa/s/[redacted]/" in written
    assert token not in written and "501234567" not in written
    (outbox,) = tmp_path.glob("outbox-*.jsonl")
    assert token in outbox.read_text(encoding="utf-8")


def test_a_traceback_is_redacted_too(log_output):
    token = survey_token()
    try:
        raise ValueError(f"could not render /s/{token}/")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: %s", f"/s/{token}/")
    written = log_output.getvalue()
    assert "ValueError: could not render /s/[redacted]/" in written
    assert token not in written


def test_a_database_errors_details_are_redacted(log_output):
    """PostgreSQL quotes the failing key or row; a failed write's traceback must not carry it."""
    error = (
        'duplicate key value violates unique constraint "organizations_patient_mrn"\n'
        "DETAIL:  Key (hospital_id, mrn)=(7, MRN-4411) already exists.\n"
        'CONTEXT:  COPY organizations_patient, line 2: "7\tMRN-4411\t1000000008"'
    )
    try:
        raise RuntimeError(error)
    except RuntimeError:
        logging.getLogger("px360.integrations").exception("Event processing failed")
    written = log_output.getvalue()
    assert "MRN-4411" not in written and "1000000008" not in written
    assert "DETAIL: [redacted]" in written and "CONTEXT: [redacted]" in written
    assert "violates unique constraint" in written  # what went wrong stays readable


def gunicorn_access_line(access_log_format: str, *, path: str, query: str, referer: str) -> str:
    """One access line as gunicorn writes it, with the logger class gunicorn.conf.py names."""
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("logger_class", conf["logger_class"])
    cfg.set("accesslog", "-")
    cfg.set("access_log_format", access_log_format)
    logger = cfg.logger_class(cfg)
    buffer = io.StringIO()
    for handler in logger.access_log.handlers:
        if not type(handler).__module__.startswith("_pytest"):
            handler.setStream(buffer)
    raw_uri = f"{path}?{query}" if query else path
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": referer,
        "HTTP_COOKIE": "sessionid=s3ss10n",
    }
    request = SimpleNamespace(headers=[("REFERER", referer), ("COOKIE", "sessionid=s3ss10n")])
    response = SimpleNamespace(status="200 OK", sent=512, headers=[("Content-Type", "text/html")])
    logger.access(response, request, environ, timedelta(milliseconds=12))
    return buffer.getvalue()


def test_gunicorns_access_log_hides_survey_tokens_admin_queries_and_cookies():
    token = survey_token()
    every_atom = '%(h)s "%(r)s" %(s)s %(U)s %(q)s "%(f)s" %({raw_uri}e)s %({cookie}i)s %({http_cookie}e)s'
    survey = gunicorn_access_line(every_atom, path=f"/s/{token}/", query="lang=en", referer="-")
    assert '"GET /s/[redacted]/?[redacted] HTTP/1.1" 200 /s/[redacted]/ [redacted]' in survey
    assert token not in survey and "s3ss10n" not in survey

    search = gunicorn_access_line(
        every_atom,
        path="/en/admin/organizations/patient/",
        query=f"q={NATIONAL_ID}",
        referer=f"https://px.example.sa/en/admin/journeys/encounter/?q={NATIONAL_ID}",
    )
    assert '"GET /en/admin/organizations/patient/?[redacted] HTTP/1.1" 200' in search
    assert '"https://px.example.sa/en/admin/journeys/encounter/?[redacted]"' in search
    assert NATIONAL_ID not in search and "s3ss10n" not in search


def test_gunicorns_access_log_keeps_what_is_not_sensitive():
    line = gunicorn_access_line('"%(r)s" %(s)s %(q)s', path="/health/", query="verbose=1", referer="-")
    assert line.strip() == '"GET /health/?verbose=1 HTTP/1.1" 200 verbose=1'
