"""An item kind of the SLA engine's own tests, and the policies it runs on.

The SLA engine times items it does not know: here the "items" are
departments standing in for complaints, with a complaint-like workflow.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from px360.sla import registry
from px360.sla.choices import ReopenMode, TargetUnit
from px360.sla.models import SLAPolicy
from px360.sla.registry import ItemKind, ItemStatus

from ..factories import DepartmentFactory

RIYADH = ZoneInfo("Asia/Riyadh")

TEST_KIND = ItemKind(
    code="sla_test_case",
    label="Test case",
    statuses=(
        ItemStatus("new", "New"),
        ItemStatus("acknowledged", "Acknowledged", acknowledges=True),
        ItemStatus("in_progress", "In progress", acknowledges=True),
        ItemStatus("waiting", "Waiting for the complainant", acknowledges=True),
        ItemStatus("resolved", "Resolved", acknowledges=True, resolves=True),
        ItemStatus("closed", "Closed", acknowledges=True, resolves=True),
    ),
    severities=(("1", "Low"), ("2", "Medium"), ("3", "High")),
)


def riyadh(*args) -> datetime:
    return datetime(*args, tzinfo=RIYADH)


@pytest.fixture(autouse=True)
def sla_test_kind():
    registry.register(TEST_KIND)
    yield TEST_KIND
    registry.unregister(TEST_KIND.code)


@pytest.fixture
def group_policy(db):
    """The group default: acknowledge in 1 business day, resolve in 5, paused while waiting, reopen continues."""
    return SLAPolicy.objects.create(
        name_en="Standard",
        name_ar="قياسية",
        kind=TEST_KIND.code,
        acknowledge_target=1,
        acknowledge_unit=TargetUnit.BUSINESS_DAYS,
        resolve_target=5,
        resolve_unit=TargetUnit.BUSINESS_DAYS,
        pause_statuses=["waiting"],
        reopen_mode=ReopenMode.CONTINUE,
    )


@pytest.fixture
def make_item(hospital_a):
    counter = iter(range(1, 10**6))

    def make(hospital=None):
        return DepartmentFactory(hospital=hospital or hospital_a, code=f"ITEM{next(counter)}")

    return make
