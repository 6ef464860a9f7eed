"""The escalation sweep: fire every due step once, in a constant number of queries.

Each open clock stores the steps still to come with the instant each one
fires — already moved into working hours: a step due at night, at the weekend
or on a holiday waits for the next working window of the clock's calendar
(:func:`px360.sla.services.step_fires_at`) — and the first of those instants
in ``next_step_at``. A sweep:

1. reads the clocks whose ``next_step_at`` has come (one indexed query; on
   PostgreSQL rows locked by a sweep running at the same time are skipped);
2. reads the steps named (one query);
3. inserts one :class:`~px360.sla.models.StepFiring` per due step with
   conflicts ignored, under a claim token of its own (one statement), then
   reads back the rows that carry its token (one query) — the unique
   (clock, step) constraint decides who fires, never a check-then-insert;
4. finds every recipient (one query);
5. for steps that also reassign, finds the new assignees (one query), hands
   the items to their apps' ``reassign`` hooks (one call per kind of item)
   and moves the items' clocks to their new assignees (one statement);
6. hands every notice to the staff notifications service in one batch, keyed
   by the firing so each is created once (created when the sweep commits, in
   a constant number of statements);
7. writes each clock's remaining steps back (one statement).

Statements 3, 5 and 7 carry all rows in one JSON parameter, so their number
does not grow with the number of due clocks on either database.
"""

from __future__ import annotations

import json
import logging
import uuid
import zlib
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from px360.accounts.roles import RoleCode
from px360.notifications.services import notify_staff_many

from . import notices, registry
from .choices import ReassignTarget, Recipient, StepAction, StepTrigger
from .models import EscalationStep, SLAClock, StepFiring
from .registry import Reassignment

logger = logging.getLogger("px360.sla")

#: At most this many clocks per sweep; the rest wait for the next one (a minute later).
SWEEP_LIMIT = 5000

_NOTICE_KIND = {
    StepTrigger.PERCENT: notices.REMINDER,
    StepTrigger.BREACH: notices.BREACH,
    StepTrigger.AFTER_BREACH: notices.ESCALATION,
}


def _db_datetime(value: datetime | None):
    if value is None:
        return None
    if connection.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value(value)
    return value.isoformat()


def _db_uuid(value) -> str | None:
    if value is None:
        return None
    value = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    return value.hex if connection.vendor == "sqlite" else str(value)


def _insert_firings(rows: list[dict], *, claim: uuid.UUID, now: datetime) -> None:
    table = StepFiring._meta.db_table
    payload = json.dumps(rows)
    if connection.vendor == "postgresql":
        sql = (
            f"INSERT INTO {table} (clock_id, step_id, due_at, fired_at, claim, hospital_id) "
            "SELECT v.c, v.s, v.d, %s, %s, v.h "
            "FROM jsonb_to_recordset(%s::jsonb) AS v(c uuid, s uuid, d timestamptz, h uuid) "
            "ON CONFLICT (clock_id, step_id) DO NOTHING"
        )
        params = [now, claim, payload]
    else:
        sql = (
            f"INSERT INTO {table} (clock_id, step_id, due_at, fired_at, claim, hospital_id) "
            "SELECT json_extract(value, '$.c'), json_extract(value, '$.s'), json_extract(value, '$.d'), %s, %s, "
            "json_extract(value, '$.h') FROM json_each(%s) WHERE true "
            "ON CONFLICT (clock_id, step_id) DO NOTHING"
        )
        params = [_db_datetime(now), claim.hex, payload]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _update_clocks(rows: list[dict], *, now: datetime) -> None:
    table = SLAClock._meta.db_table
    payload = json.dumps(rows)
    if connection.vendor == "postgresql":
        sql = (
            f"UPDATE {table} AS c SET pending_steps = v.p, next_step_at = v.n, updated_at = %s "
            "FROM jsonb_to_recordset(%s::jsonb) AS v(id uuid, p jsonb, n timestamptz) WHERE c.id = v.id"
        )
        params = [now, payload]
    else:
        sql = (
            f"UPDATE {table} SET pending_steps = v.p, next_step_at = v.n, updated_at = %s "
            "FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.p') AS p, "
            "json_extract(value, '$.n') AS n FROM json_each(%s)) AS v "
            f"WHERE {table}.id = v.id"
        )
        params = [_db_datetime(now), payload]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _move_clocks(rows: list[dict], *, now: datetime) -> None:
    """Give every clock of each item its new assignee (one statement for all items)."""
    table = SLAClock._meta.db_table
    payload = json.dumps(rows)
    if connection.vendor == "postgresql":
        sql = (
            f"UPDATE {table} AS c SET assignee_id = v.u, updated_at = %s "
            "FROM jsonb_to_recordset(%s::jsonb) AS v(t integer, i text, u uuid) "
            "WHERE c.item_type_id = v.t AND c.item_id = v.i"
        )
        params = [now, payload]
    else:
        sql = (
            f"UPDATE {table} SET assignee_id = v.u, updated_at = %s "
            "FROM (SELECT json_extract(value, '$.t') AS t, json_extract(value, '$.i') AS i, "
            "json_extract(value, '$.u') AS u FROM json_each(%s)) AS v "
            f"WHERE {table}.item_type_id = v.t AND {table}.item_id = v.i"
        )
        params = [_db_datetime(now), payload]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _due_clocks(now: datetime, limit: int) -> list[dict]:
    queryset = SLAClock.objects.filter(next_step_at__lte=now, stopped_at__isnull=True).order_by("next_step_at")
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return list(
        queryset.values(
            "pk",
            "pending_steps",
            "item_kind",
            "clock",
            "hospital_id",
            "department_id",
            "assignee_id",
            "reference",
            "item_type_id",
            "item_id",
            "due_at",
        )[:limit]
    )


def plan(clocks: list[dict], now: datetime) -> tuple[list[dict], list[dict]]:
    """The firings due now and each clock's remaining steps (no queries)."""
    firings, updates = [], []
    for clock in clocks:
        due_now, later = [], []
        for entry in clock["pending_steps"] or []:
            (due_now if datetime.fromisoformat(entry["at"]) <= now else later).append(entry)
        for entry in due_now:
            firings.append(
                {
                    "c": _db_uuid(clock["pk"]),
                    "s": _db_uuid(entry["step"]),
                    "d": _db_datetime(datetime.fromisoformat(entry["due"])),
                    "h": _db_uuid(clock["hospital_id"]),
                }
            )
        updates.append(
            {
                "id": _db_uuid(clock["pk"]),
                "p": later,
                "n": _db_datetime(datetime.fromisoformat(later[0]["at"])) if later else None,
            }
        )
    return firings, updates


def _recipients(clocks: dict, steps: dict, won: list[dict]) -> dict:
    """``{firing id: [user id, ...]}`` with one query for every firing."""
    wanted: dict[str, set] = {recipient: set() for recipient in Recipient.values}
    for firing in won:
        clock = clocks[firing["clock_id"]]
        recipient = steps[firing["step_id"]]["audience"]
        if recipient == Recipient.ASSIGNEE and clock["assignee_id"]:
            wanted[recipient].add(clock["assignee_id"])
        elif recipient == Recipient.DEPARTMENT_MANAGER and clock["department_id"]:
            wanted[recipient].add(clock["department_id"])
        elif recipient in (Recipient.PX_COORDINATORS, Recipient.HOSPITAL_ADMINS) and clock["hospital_id"]:
            wanted[recipient].add(clock["hospital_id"])
        elif recipient == Recipient.GROUP_PX_ADMINS:
            wanted[recipient].add(True)
    condition = Q(pk__in=[])
    if wanted[Recipient.ASSIGNEE]:
        condition |= Q(pk__in=wanted[Recipient.ASSIGNEE])
    if wanted[Recipient.DEPARTMENT_MANAGER]:
        condition |= Q(roles__code=RoleCode.DEPARTMENT_MANAGER, department_id__in=wanted[Recipient.DEPARTMENT_MANAGER])
    if wanted[Recipient.PX_COORDINATORS]:
        condition |= Q(roles__code=RoleCode.PX_COORDINATOR, hospital_id__in=wanted[Recipient.PX_COORDINATORS])
    if wanted[Recipient.HOSPITAL_ADMINS]:
        condition |= Q(roles__code=RoleCode.HOSPITAL_ADMIN, hospital_id__in=wanted[Recipient.HOSPITAL_ADMINS])
    if wanted[Recipient.GROUP_PX_ADMINS]:
        condition |= Q(roles__code=RoleCode.PX_ADMIN)
    users = []
    if any(wanted.values()):
        users = list(
            get_user_model()
            .objects.filter(condition, is_active=True)
            .values_list("pk", "roles__code", "hospital_id", "department_id")
            .distinct()
        )
    by_firing = {}
    for firing in won:
        clock = clocks[firing["clock_id"]]
        recipient = steps[firing["step_id"]]["audience"]
        chosen = set()
        for pk, role, hospital_id, department_id in users:
            if (
                (recipient == Recipient.ASSIGNEE and pk == clock["assignee_id"])
                or (
                    recipient == Recipient.DEPARTMENT_MANAGER
                    and role == RoleCode.DEPARTMENT_MANAGER
                    and department_id == clock["department_id"]
                )
                or (
                    recipient == Recipient.PX_COORDINATORS
                    and role == RoleCode.PX_COORDINATOR
                    and hospital_id == clock["hospital_id"]
                )
                or (
                    recipient == Recipient.HOSPITAL_ADMINS
                    and role == RoleCode.HOSPITAL_ADMIN
                    and hospital_id == clock["hospital_id"]
                )
                or (recipient == Recipient.GROUP_PX_ADMINS and role == RoleCode.PX_ADMIN)
            ):
                chosen.add(pk)
        by_firing[firing["id"]] = sorted(chosen, key=str)
    return by_firing


def _item_link(item_type_id, item_id: str) -> str:
    content_type = ContentType.objects.get_for_id(item_type_id)
    try:
        return reverse(f"admin:{content_type.app_label}_{content_type.model}_change", args=[item_id])
    except NoReverseMatch:
        return ""


def _spread(candidates: set, item_id: str):
    """One of several candidates, the same for the same item (work spread evenly over them)."""
    if not candidates:
        return None
    ordered = sorted(candidates, key=str)
    return ordered[zlib.crc32(str(item_id).encode()) % len(ordered)]


def _reassign_targets(clocks: dict, steps: dict, firings: list[dict]) -> dict:
    """``{firing id: user id}``: whom each reassigning firing hands its item to (one query for all).

    The department's manager is the department's named manager, else one of
    its active Department Managers; a PX coordinator is one of the hospital's
    active PX Coordinators (the same one for the same item); a chosen user is
    the step's. Nobody outside the item's hospital (other than a group-wide
    user) is ever chosen.
    """
    departments, hospitals, chosen = set(), set(), set()
    for firing in firings:
        clock, step = clocks[firing["clock_id"]], steps[firing["step_id"]]
        if step["reassign_to"] == ReassignTarget.DEPARTMENT_MANAGER and clock["department_id"]:
            departments.add(clock["department_id"])
        elif step["reassign_to"] == ReassignTarget.PX_COORDINATOR and clock["hospital_id"]:
            hospitals.add(clock["hospital_id"])
        elif step["reassign_to"] == ReassignTarget.USER and step["reassign_user_id"]:
            chosen.add(step["reassign_user_id"])
    if not (departments or hospitals or chosen):
        return {}
    condition = Q(pk__in=chosen)
    if departments:
        condition |= Q(managed_departments__in=departments)
        condition |= Q(roles__code=RoleCode.DEPARTMENT_MANAGER, department_id__in=departments)
    if hospitals:
        condition |= Q(roles__code=RoleCode.PX_COORDINATOR, hospital_id__in=hospitals)
    rows = (
        get_user_model()
        .objects.filter(condition, is_active=True)
        .values_list("pk", "hospital_id", "department_id", "roles__code", "managed_departments")
        .distinct()
    )
    hospital_of: dict = {}
    named: dict = {}
    by_role: dict = {}
    coordinators: dict = {}
    for pk, hospital_id, department_id, role, managed in rows:
        hospital_of[pk] = hospital_id
        if managed in departments:
            named.setdefault(managed, set()).add(pk)
        if role == RoleCode.DEPARTMENT_MANAGER and department_id in departments:
            by_role.setdefault(department_id, set()).add(pk)
        if role == RoleCode.PX_COORDINATOR and hospital_id in hospitals:
            coordinators.setdefault(hospital_id, set()).add(pk)
    targets = {}
    for firing in firings:
        clock, step = clocks[firing["clock_id"]], steps[firing["step_id"]]
        target = None
        if step["reassign_to"] == ReassignTarget.DEPARTMENT_MANAGER:
            department = clock["department_id"]
            target = _spread(named.get(department) or by_role.get(department) or set(), clock["item_id"])
        elif step["reassign_to"] == ReassignTarget.PX_COORDINATOR:
            target = _spread(coordinators.get(clock["hospital_id"]) or set(), clock["item_id"])
        elif step["reassign_to"] == ReassignTarget.USER and step["reassign_user_id"] in hospital_of:
            target = step["reassign_user_id"]
        if target is not None and hospital_of[target] not in (None, clock["hospital_id"]):
            target = None  # never hand an item to another hospital
        if target is not None:
            targets[firing["id"]] = target
    return targets


def _reassign(clocks: dict, steps: dict, won: list[dict], *, now: datetime) -> dict:
    """Hand the items of reassigning firings to their new assignees; ``{firing id: user id}`` of those done.

    One firing per item (the last due wins when two clocks of one item
    reassign at once); an item already with its target is left alone. Each
    kind's hook is called once with all its items, inside a savepoint: a hook
    that fails reassigns nothing (it is logged, the notices still go out).
    """
    firings = [firing for firing in won if steps[firing["step_id"]]["action"] == StepAction.NOTIFY_AND_REASSIGN]
    if not firings:
        return {}
    targets = _reassign_targets(clocks, steps, firings)
    per_item: dict = {}
    for firing in sorted(firings, key=lambda row: (row["due_at"], str(row["id"]))):
        clock = clocks[firing["clock_id"]]
        target = targets.get(firing["id"])
        if target is None:
            logger.info("SLA step %s found nobody to reassign clock %s to", firing["step_id"], firing["clock_id"])
            continue
        per_item[(clock["item_kind"], clock["item_type_id"], clock["item_id"])] = (firing, target)
    groups: dict = {}
    for (kind_code, item_type_id, _item_id), (firing, target) in per_item.items():
        clock = clocks[firing["clock_id"]]
        if target == clock["assignee_id"]:
            continue
        groups.setdefault((kind_code, item_type_id), []).append(
            (
                firing["id"],
                Reassignment(
                    item_id=str(clock["item_id"]),
                    user_id=target,
                    previous_user_id=clock["assignee_id"],
                    reference=clock["reference"],
                    clock=clock["clock"],
                    step_id=firing["step_id"],
                ),
            )
        )
    done: dict = {}
    moves = []
    for (kind_code, item_type_id), entries in groups.items():
        kind = registry.find(kind_code)
        if kind is None or kind.reassign is None:
            logger.warning("SLA items of kind %s cannot be reassigned: the kind has no reassign hook", kind_code)
            continue
        reassignments = [reassignment for _firing_id, reassignment in entries]
        try:
            with transaction.atomic():
                result = kind.reassign(ContentType.objects.get_for_id(item_type_id), reassignments)
        except Exception:
            logger.exception("SLA reassignment of %d items of kind %s failed", len(reassignments), kind_code)
            continue
        accepted = None if result is None else {str(item_id) for item_id in result}
        for firing_id, reassignment in entries:
            if accepted is None or reassignment.item_id in accepted:
                done[firing_id] = reassignment.user_id
                moves.append({"t": item_type_id, "i": reassignment.item_id, "u": _db_uuid(reassignment.user_id)})
    if moves:
        _move_clocks(moves, now=now)
    return done


def _notify(clocks: dict, steps: dict, won: list[dict], handed: dict) -> int:
    """Hand every notice of the firings to the staff notifications service in one batch.

    The step's audience gets the step's notice; whoever an item was just
    handed to gets one notice saying so (and not the step's as well).
    """
    recipients = _recipients(clocks, steps, won)
    batch = []
    count = 0
    for firing in won:
        clock = clocks[firing["clock_id"]]
        step = steps[firing["step_id"]]
        new_assignee = handed.get(firing["id"])
        users = [user for user in recipients.get(firing["id"]) or [] if user != new_assignee]
        due = clock["due_at"] or firing["due_at"]
        params = {
            "reference": clock["reference"] or str(clock["item_id"])[:8],
            "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        }
        link = _item_link(clock["item_type_id"], clock["item_id"])
        if users:
            batch.append(
                {
                    "users": users,
                    "kind": _NOTICE_KIND[step["trigger"]],
                    "params": {**params, "percent": step["percent"]}
                    if step["trigger"] == StepTrigger.PERCENT
                    else params,
                    "link": link,
                    "hospital": clock["hospital_id"],
                    "key": f"sla-step:{firing['clock_id']}:{firing['step_id']}",
                }
            )
            count += len(users)
        if new_assignee is not None:
            batch.append(
                {
                    "users": [new_assignee],
                    "kind": notices.REASSIGNED,
                    "params": params,
                    "link": link,
                    "hospital": clock["hospital_id"],
                    "key": f"sla-reassign:{firing['clock_id']}:{firing['step_id']}",
                }
            )
            count += 1
    notify_staff_many(batch)
    return count


def sla_sweep(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> dict:
    """Fire every escalation step that is due; safe to run twice or twice at once."""
    now = now or timezone.now()
    with transaction.atomic():
        due = _due_clocks(now, limit)
        if not due:
            return {"due": 0, "fired": 0, "notified": 0, "reassigned": 0}
        firings, updates = plan(due, now)
        fired = []
        handed: dict = {}
        notified = 0
        if firings:
            step_ids = {row["s"] for row in firings}
            steps = {
                row["id"]: row
                for row in EscalationStep.objects.filter(pk__in=step_ids).values(
                    "id", "trigger", "percent", "audience", "action", "reassign_to", "reassign_user_id"
                )
            }
            known = {_db_uuid(pk) for pk in steps}
            firings = [row for row in firings if row["s"] in known]  # a step deleted since it was planned
            claim = uuid.uuid4()
            if firings:
                _insert_firings(firings, claim=claim, now=now)
                fired = list(StepFiring.objects.filter(claim=claim).values("id", "clock_id", "step_id", "due_at"))
            clocks = {row["pk"]: row for row in due}
            handed = _reassign(clocks, steps, fired, now=now)
            notified = _notify(clocks, steps, fired, handed)
        _update_clocks(updates, now=now)
    if fired:
        logger.info(
            "SLA sweep fired %d escalation steps (%d notices, %d items reassigned)", len(fired), notified, len(handed)
        )
    return {"due": len(due), "fired": len(fired), "notified": notified, "reassigned": len(handed)}
