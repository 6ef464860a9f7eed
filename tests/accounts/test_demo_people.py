"""The demo's staff have people's names, which read naturally on Arabic and English pages alike."""

import re

import pytest

from px360.accounts.demo import load_role_users, load_superuser
from px360.accounts.models import User
from px360.accounts.roles import RoleCode

from ..factories import HospitalFactory

pytestmark = pytest.mark.django_db

ARABIC_NAME = re.compile(r"^[\u0621-\u064A ]+$")


def test_every_demo_user_has_an_arabic_name_not_a_role_or_a_code():
    for code in ("RYD", "JED"):
        HospitalFactory(code=code)
    load_superuser(password="demo-password-1")
    created = load_role_users(password="demo-password-1")
    assert len(created) == 2 * len(RoleCode)
    names = set()
    for user in User.objects.all():
        assert ARABIC_NAME.match(user.first_name) and ARABIC_NAME.match(user.last_name), user.username
        names.add(user.get_full_name())
    assert len(names) == User.objects.count()  # one person per account
