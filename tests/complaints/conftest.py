import pytest
from django.core.cache import cache

from px360.accounts.roles import RoleCode


@pytest.fixture(autouse=True)
def _taxonomy_and_service_levels(request):
    """What the complaints migrations install, again: a test that emptied the database removed it."""
    names = set(request.fixturenames)
    if request.node.get_closest_marker("django_db") is None and not names & {"db", "transactional_db"}:
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    from .loop_support import complaint_setup

    complaint_setup()


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
