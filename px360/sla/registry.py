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
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemStatus:
    code: str
    label: str
    acknowledges: bool = False
    resolves: bool = False


@dataclass(frozen=True)
class ItemKind:
    code: str
    label: str
    statuses: tuple[ItemStatus, ...]
    severities: tuple[tuple[str, str], ...] = ()

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
