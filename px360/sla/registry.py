"""The kinds of item that run on SLA clocks, registered by the apps that own them.

The SLA engine sits below the apps whose items it times (complaints,
inquiries, corrective actions) and never imports them. Each such app declares
its item kinds in its ``AppConfig.ready()``::

    from px360.sla.registry import ItemKind, ItemStatus, register

    register(
        ItemKind(
            code="complaint",
            label=_("Complaint"),
            statuses=(
                ItemStatus("new", _("New")),
                ItemStatus("acknowledged", _("Acknowledged"), acknowledges=True),
                ItemStatus("waiting", _("Waiting for the complainant"), acknowledges=True),
                ItemStatus("resolved", _("Resolved"), acknowledges=True, resolves=True),
                ...
            ),
            severities=(("0", _("None")), ("1", _("Low")), ...),
        )
    )

A status that ``acknowledges`` meets the acknowledge clock when the item first
reaches it; one that ``resolves`` stops the resolve clock, and leaving it for
a status that does not is a reopen. Which statuses *pause* the resolve clock
is a policy setting (:class:`px360.sla.models.SLAPolicy`), chosen among the
kind's statuses.

A kind whose items escalation steps may reassign gives a ``reassign`` hook::

    def reassign_complaints(item_type, reassignments):
        # One call per sweep with every complaint to hand over: update them
        # set-based, write their history, and return the ids actually
        # reassigned (``None``: all of them).
        ...

    register(ItemKind(code="complaint", ..., reassign=reassign_complaints))

The sweep calls it once per kind and record type with all the items whose
step fired, inside its transaction (a hook that raises reassigns nothing and
the notices still go out), then moves the clocks of the items the hook
reassigned to their new assignee — the hook leaves the clocks alone (no
``update_item`` call). Without a hook, a step that reassigns cannot be saved
for the kind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ItemStatus:
    code: str
    label: str
    acknowledges: bool = False
    resolves: bool = False


@dataclass(frozen=True)
class Reassignment:
    """One item an escalation step hands to someone else.

    ``item_id`` is the item's primary key as text (as the clocks store it);
    ``user_id`` the new assignee, ``previous_user_id`` the one the clock had
    (``None``: nobody); ``reference`` the item's reference; ``clock`` and
    ``step_id`` say which escalation step fired, for the item's history.
    """

    item_id: str
    user_id: Any
    previous_user_id: Any
    reference: str
    clock: str
    step_id: Any


#: ``reassign(item_type, reassignments)``: the owning app's hook (``item_type`` is a ContentType).
ReassignHook = Callable[[Any, list[Reassignment]], Iterable[str] | None]


@dataclass(frozen=True)
class ItemKind:
    code: str
    label: str
    statuses: tuple[ItemStatus, ...]
    severities: tuple[tuple[str, str], ...] = ()
    reassign: ReassignHook | None = None

    def __post_init__(self):
        if not self.code or len(self.code) > 40:
            raise ValueError("An item kind's code has 1 to 40 characters")
        codes = [status.code for status in self.statuses]
        if not codes or len(set(codes)) != len(codes):
            raise ValueError(f"Item kind {self.code} needs statuses with distinct codes")

    def status(self, code: str) -> ItemStatus:
        for status in self.statuses:
            if status.code == code:
                return status
        raise LookupError(f"Item kind {self.code} has no status {code!r}")


_KINDS: dict[str, ItemKind] = {}


def register(kind: ItemKind) -> ItemKind:
    """Add a kind; the same definition twice is harmless, another under a used code is not."""
    existing = _KINDS.get(kind.code)
    if existing is not None and existing != kind:
        raise ValueError(f"Item kind {kind.code} is already registered with another definition")
    _KINDS[kind.code] = kind
    return kind


def unregister(code: str) -> None:
    _KINDS.pop(code, None)


def get(code: str) -> ItemKind:
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"No SLA item kind {code!r} is registered")


def find(code: str) -> ItemKind | None:
    return _KINDS.get(code)


def all_kinds() -> list[ItemKind]:
    return [_KINDS[code] for code in sorted(_KINDS)]


def kind_choices() -> list[tuple[str, str]]:
    return [(kind.code, kind.label) for kind in all_kinds()]
