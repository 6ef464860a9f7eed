"""The kinds of message PX360 sends to patients, registered by the apps that send them.

A message kind (``"survey_invitation"``) says what a message is for, which
placeholders its texts may use, and the wording PX360 ships in each language.
The notifications app knows no kind by name: the app that queues messages of
a kind registers it in its ``AppConfig.ready()``, so a new app adds kinds
without touching this one::

    # px360/complaints/messages.py
    from px360.notifications.message_kinds import HOSPITAL, MessageKind, Placeholder, Wording, register

    register(
        MessageKind(
            code="complaint_received",
            label=_("Complaint received"),
            placeholders=(
                HOSPITAL,
                Placeholder("reference", _("The complaint's reference number")),
                Placeholder("status_link", _("The link where the patient follows the complaint"), sample=...),
            ),
            required=("status_link",),
            shipped={"ar": Wording(...), "en": Wording(...)},
        )
    )

Texts use ``string.Template`` placeholders (``$hospital`` or ``${hospital}``),
so a text can reach nothing but the values its kind hands it. Hospitals edit
the wording in the admin (:class:`~px360.notifications.models.MessageText`);
what they write is checked here: only the kind's placeholders, no stray
``$``, the required ones present. Messages carry the hospital and a link,
never a patient's name, MRN or national ID: a placeholder named like one is
refused when the kind is registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from string import Template

from django.utils.translation import gettext_lazy as _

from px360.core.choices import Language

#: Placeholder names that would put a patient's identity into a message.
_PERSONAL = re.compile(r"name|mrn|national|iqama|phone|mobile|email|birth|gender|patient", re.IGNORECASE)


@dataclass(frozen=True)
class Placeholder:
    """One value a text may name: ``$<code>``.

    ``sample(hospital, language)`` returns the value the preview and the SMS
    length check use (``hospital`` is ``None`` for a text shared by the whole
    group); without one the placeholder's own name is shown.
    """

    code: str
    description: str
    sample: Callable[..., str] | None = field(default=None, compare=False)

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.code):
            raise ValueError(f"A placeholder's code is lower-case letters, digits and _: {self.code!r}")
        if _PERSONAL.search(self.code) and self.code != "hospital":
            raise ValueError(f"Messages never carry personal data: no placeholder {self.code!r}")

    @property
    def token(self) -> str:
        return f"${self.code}"

    def sample_value(self, hospital, language: str) -> str:
        return self.sample(hospital, language) if self.sample is not None else self.token


@dataclass(frozen=True)
class Wording:
    """A kind's shipped texts in one language.

    ``stop`` ends every SMS and WhatsApp message (how to opt out, answered by
    the inbound reply handler); ``button`` and ``opt_out`` label the e-mail's
    link and its opt-out link.
    """

    subject: str
    body: str
    stop: str = ""
    button: str = ""
    opt_out: str = ""


@dataclass(frozen=True)
class MessageKind:
    """One kind of message to patients and its shipped wording (``{"ar": Wording, "en": Wording}``)."""

    code: str
    label: str
    placeholders: tuple[Placeholder, ...]
    shipped: Mapping[str, Wording]
    required: tuple[str, ...] = ()

    def __post_init__(self):
        if not self.code or len(self.code) > 60:
            raise ValueError("A message kind's code has 1 to 60 characters")
        codes = [placeholder.code for placeholder in self.placeholders]
        if len(set(codes)) != len(codes):
            raise ValueError(f"Message kind {self.code} names a placeholder twice")
        missing = set(self.required) - set(codes)
        if missing:
            raise ValueError(f"Message kind {self.code} requires placeholders it does not offer: {sorted(missing)}")
        if set(self.shipped) != set(Language.values):
            raise ValueError(f"Message kind {self.code} ships its wording in {sorted(Language.values)}")
        for language, wording in self.shipped.items():
            for text in (wording.subject, wording.body):
                errors = check_placeholders(text, self)
                if errors:
                    raise ValueError(f"Message kind {self.code} ({language}): {errors[0]}")
            if self.required and not set(self.required) <= names_in(wording.body):
                raise ValueError(f"Message kind {self.code} ({language}): the body lacks a required placeholder")

    def placeholder(self, code: str) -> Placeholder | None:
        return next((p for p in self.placeholders if p.code == code), None)

    def wording(self, language: str) -> Wording:
        """The shipped wording in ``language`` (Arabic for a language PX360 does not write)."""
        return self.shipped.get(language) or self.shipped[Language.ARABIC]

    def sample_context(self, hospital, language: str) -> dict[str, str]:
        return {p.code: p.sample_value(hospital, language) for p in self.placeholders}


# --- the hospital, named in every message ----------------------------------------

#: A hospital name for previews when there is no hospital to take it from.
SAMPLE_HOSPITAL = {"ar": "مستشفى النور العام", "en": "Al-Noor General Hospital"}


def hospital_sample(hospital, language: str) -> str:
    """The hospital's name in ``language``; for a group-wide text the longest name in the group."""
    from px360.organizations.models import Hospital

    column = f"name_{language}" if language in Language.values else "name"
    if hospital is not None:
        return getattr(hospital, column, "") or hospital.name
    names = [name for name in Hospital.objects.values_list(column, flat=True) if name]
    return max(names, key=len, default=SAMPLE_HOSPITAL.get(language, SAMPLE_HOSPITAL["ar"]))


HOSPITAL = Placeholder("hospital", _("The hospital's name, in the patient's language"), sample=hospital_sample)


# --- checking a text ----------------------------------------------------------------

_PATTERN = Template.pattern


def names_in(text: str) -> set[str]:
    """The placeholder names a text uses (``$name`` and ``${name}``)."""
    names = set()
    for match in _PATTERN.finditer(text or ""):
        name = match.group("named") or match.group("braced")
        if name:
            names.add(name)
    return names


def check_placeholders(text: str, kind: MessageKind) -> list[str]:
    """What is wrong with the placeholders of ``text`` for ``kind``, in the active language ([] when nothing).

    Every ``$`` starts a placeholder of the kind (``$hospital``, ``${hospital}``)
    or is doubled (``$$`` for a dollar sign). Names are compared as written:
    ``$Hospital`` is not ``$hospital``.
    """
    allowed = {p.code for p in kind.placeholders}
    listed = ", ".join(isolated(f"${code}") for code in sorted(allowed))
    errors = []
    for match in _PATTERN.finditer(text or ""):
        if match.group("escaped") is not None:
            continue
        name = match.group("named") or match.group("braced")
        if name is None:
            # The $ and what follows it up to a space: what the writer meant as a placeholder.
            snippet = "$" + re.match(r"\{?\w{0,15}", text[match.end() :]).group(0)
            errors.append(
                str(
                    _(
                        "“%(text)s” is not a placeholder: a $ starts one of %(allowed)s, "
                        "and a dollar sign is written $$."
                    )
                )
                % {"text": isolated(snippet), "allowed": listed}
            )
        elif name not in allowed:
            errors.append(
                str(_("Unknown placeholder %(placeholder)s: this message may use %(allowed)s."))
                % {"placeholder": isolated(f"${name}"), "allowed": listed}
            )
    return errors


def isolated(token: str) -> str:
    """A placeholder inside a sentence, kept one left-to-right unit in Arabic text (LRI … PDI)."""
    return f"\u2066{token}\u2069"


def missing_required(text: str, kind: MessageKind) -> list[str]:
    """The placeholders ``kind`` requires that ``text`` leaves out."""
    present = names_in(text)
    return [code for code in kind.required if code not in present]


# --- the registry -------------------------------------------------------------------

_KINDS: dict[str, MessageKind] = {}


def register(kind: MessageKind) -> MessageKind:
    """Add a kind; the same definition twice is harmless, another one under a used code is not."""
    existing = _KINDS.get(kind.code)
    if existing is not None and existing != kind:
        raise ValueError(f"Message kind {kind.code} is already registered with another definition")
    _KINDS[kind.code] = kind
    return kind


def unregister(code: str) -> None:
    _KINDS.pop(code, None)


def get(code: str) -> MessageKind:
    """The kind registered under ``code``; ``LookupError`` when there is none."""
    try:
        return _KINDS[code]
    except KeyError:
        raise LookupError(f"No message kind {code!r} is registered (the sending app registers it)") from None


def find(code: str) -> MessageKind | None:
    return _KINDS.get(code)


def all_kinds() -> list[MessageKind]:
    """Every registered kind, by code."""
    return [_KINDS[code] for code in sorted(_KINDS)]


def kind_choices() -> list[tuple[str, str]]:
    """``(code, label)`` of every registered kind: the choices of a text's kind."""
    return [(kind.code, kind.label) for kind in all_kinds()]


# --- filling a text -------------------------------------------------------------------


def fill(text: str, context: Mapping[str, str]) -> str:
    """``text`` with its placeholders replaced (a placeholder without a value stays as written)."""
    return Template(text or "").safe_substitute(context)


def with_stop(body: str, wording: Wording) -> str:
    """An SMS or WhatsApp body followed by how to opt out."""
    return f"{body}\n{wording.stop}" if wording.stop else body
