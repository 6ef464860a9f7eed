import io

import pytest
from django.core.management import call_command

from px360.accounts.models import User
from px360.accounts.roles import RoleCode
from px360.journeys.models import Encounter, JourneyInstance, JourneyTemplate
from px360.organizations.models import Department, Hospital, Patient

pytestmark = pytest.mark.django_db(transaction=False)


def test_load_demo_is_bilingual_complete_and_idempotent(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("PX360_DEMO_PASSWORD", "demo-password-360")
    call_command("load_demo", stdout=io.StringIO())
    counts = [
        Hospital.objects.count(),
        Department.objects.count(),
        Patient.objects.count(),
        User.objects.count(),
        Encounter.objects.count(),
        JourneyInstance.objects.count(),
        JourneyTemplate.objects.count(),
    ]
    call_command("load_demo", stdout=io.StringIO())
    assert counts == [
        Hospital.objects.count(),
        Department.objects.count(),
        Patient.objects.count(),
        User.objects.count(),
        Encounter.objects.count(),
        JourneyInstance.objects.count(),
        JourneyTemplate.objects.count(),
    ]
    assert set(Hospital.objects.values_list("code", flat=True)) >= {"RYD", "JED"}
    for hospital in Hospital.objects.all():
        assert hospital.name_ar and hospital.name_en and hospital.name_ar != hospital.name_en
        for code in RoleCode:
            user = User.objects.get(username=f"{hospital.code.lower()}_{code.value}")
            assert user.check_password("demo-password-360")
            assert user.highest_role().code == code.value
    assert Department.objects.filter(parent__isnull=False).exists()
    assert Encounter.objects.count() >= 40
    assert JourneyInstance.objects.count() == Encounter.objects.exclude(status="cancelled").count()


def test_load_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(SystemExit):
        call_command("load_demo", stdout=io.StringIO(), stderr=io.StringIO())
