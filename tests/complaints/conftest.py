import pytest
from django.core.cache import cache

from px360.accounts.roles import RoleCode


@pytest.fixture(autouse=True)
def _private_media_and_fresh_limits(settings, tmp_path):
    """Files go to a folder of the test's own; rate-limit counters start at zero."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def coordinator_a(make_user, hospital_a):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_a, username="coord_a")


@pytest.fixture
def coordinator_b(make_user, hospital_b):
    return make_user(RoleCode.PX_COORDINATOR, hospital=hospital_b, username="coord_b")
