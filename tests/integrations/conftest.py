import pytest

from px360.integrations.models import IntegrationSource
from px360.integrations.services import api_key_create
from px360.journeys.library import load_journey_templates

from ..factories import DepartmentFactory, PhysicianFactory


@pytest.fixture
def his(db, hospital_a, hospital_b):
    """A source allowed to send for hospital A, with its departments and physician."""
    load_journey_templates()
    DepartmentFactory(hospital=hospital_a, code="MED")
    PhysicianFactory(hospital=hospital_a, license_number="LIC00001")
    source = IntegrationSource.objects.create(code="his-a", name="HIS A")
    source.hospitals.add(hospital_a)
    api_key, key = api_key_create(source=source)
    return {"source": source, "api_key": api_key, "key": key}


@pytest.fixture
def send(client, his, django_capture_on_commit_callbacks):
    """POST one message to the intake endpoint; queued processing runs at commit."""

    def post(body, *, hl7=False, key=None, **extra):
        content_type = "application/hl7-v2" if hl7 else "application/json"
        if not hl7 and not isinstance(body, str | bytes):
            import json

            body = json.dumps(body)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/api/integrations/events/",
                data=body,
                content_type=content_type,
                HTTP_AUTHORIZATION=f"Api-Key {key or his['key']}",
                **extra,
            )

    return post
