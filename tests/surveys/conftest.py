"""Fixtures for survey tests: the instrument library and a way to complete journey stages."""

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.cache import cache

from px360.journeys.models import Encounter, JourneyInstance, JourneyStageInstance, JourneyTemplate, StageStatus
from px360.surveys.library import load_library
from px360.surveys.models import SurveyTemplate

from ..factories import PatientFactory

RIYADH = dt.timezone(dt.timedelta(hours=3))


def riyadh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=RIYADH)


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _outbox_in_tmp(settings, tmp_path):
    settings.PX360_OUTBOX_DIR = tmp_path / "outbox"
    settings.PX360_PUBLIC_BASE_URL = "https://px.example.sa"


@pytest.fixture
def library(db):
    load_library()
    return {t.code: t for t in SurveyTemplate.objects.all()}


@pytest.fixture
def opd_survey(library):
    return library["opd-visit"]


@pytest.fixture
def make_patient(hospital_a):
    def make(**fields):
        values = {
            "hospital": hospital_a,
            "phone": "+966501234567",
            "email": "patient@example.com",
            "birth_date": dt.date(1980, 5, 1),
            "preferred_language": "ar",
            "name_ar": "سارة أحمد الحربي",
            "name_en": "Sara Ahmed Al-Harbi",
        }
        values.update(fields)
        return PatientFactory(**values)

    return make


_counter = iter(range(1, 10**6))


@pytest.fixture
def complete_stage(hospital_a):
    """Build an encounter, its journey and one stage, and complete the stage at ``at``."""

    def complete(
        patient,
        *,
        survey,
        at,
        journey_type="OPD",
        delay_hours=2,
        code="end_of_visit",
        department=None,
        status="discharged",
    ):
        number = next(_counter)
        encounter = Encounter.objects.create(
            hospital=patient.hospital,
            encounter_number=f"ENC{number}",
            encounter_type=journey_type,
            patient=patient,
            department=department,
            admitted_at=at - dt.timedelta(hours=3),
            discharged_at=at,
            status=status,
        )
        template = JourneyTemplate.objects.filter(journey_type=journey_type, hospital=patient.hospital).first()
        if template is None:
            template = JourneyTemplate.objects.create(
                journey_type=journey_type, hospital=patient.hospital, name="j", name_ar="رحلة", name_en="Journey"
            )
        journey = JourneyInstance.objects.create(
            encounter=encounter, template=template, journey_type=journey_type, started_at=encounter.admitted_at
        )
        return JourneyStageInstance.objects.create(
            journey=journey,
            order=1,
            code=code,
            name_ar="نهاية",
            name_en="End",
            survey_template=survey,
            survey_delay_hours=delay_hours,
            status=StageStatus.COMPLETED,
            completed_at=at,
        )

    return complete


class FakeGateway:
    """A tiny HTTP server on 127.0.0.1 that records requests and answers as told."""

    def __init__(self):
        self.requests = []
        self.responses = []  # (status, body) popped per request; default 200
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                outer.requests.append({"headers": dict(self.headers), "body": body})
                status, answer = (
                    outer.responses.pop(0) if outer.responses else (200, b'{"id": "gw-%d"}' % len(outer.requests))
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    settings.PX360_SMS_BACKEND = "gateway"
    settings.PX360_WHATSAPP_BACKEND = "gateway"
    settings.PX360_GATEWAY_URL = fake.url
    settings.PX360_GATEWAY_AUTH_HEADER = "Authorization: Bearer test-token"
    settings.PX360_GATEWAY_SENDER_ID = "PX360"
    yield fake
    fake.close()
