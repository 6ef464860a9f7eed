"""Writes owned by the core app: the audit log."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings
from django.contrib.admin.views.main import ALL_VAR, ERROR_FLAG, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from .models import AuditAction, AuditEvent
from .validators import ascii_digits, national_id_is_valid, normalize_phone


def client_ip(request) -> str | None:
    if request is None:
        return None
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def hash_sensitive(value: str) -> str:
    """A keyed hash, so an audit reader can match a searched ID without seeing it."""
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"sha256:{digest[:32]}"


def looks_like_national_id(term: str) -> bool:
    """Ten digits (valid check digit or not): treat it as patient data."""
    return national_id_is_valid(term) or (term.isdigit() and len(term) == 10)


def holds_personal_data(model) -> bool:
    """Whether a model declares ``px_personal_data = True``: reading its rows is an audit event.

    The flag sits on the model, next to ``px_access``, so a model that holds
    patient or personal data is audited on every admin screen by declaring it
    once (``PXModelAdmin`` reads it for change, history and filtered-list pages).
    """
    return bool(getattr(model, "px_personal_data", False))


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_CHARACTERS = re.compile(r"\+?[\d\s\-().]{7,24}")
_PHONE_PREFIXES = ("+", "00", "05", "5", "966")
_NAME_CHARACTERS = re.compile(r"[^\W\d_]+(?:[\s'’.\-]+[^\W\d_]+)*")


def protect_term(term) -> dict:
    """What the audit log keeps of a searched term or a free-text filter value.

    Identifiers (national ID / iqama, phone number, e-mail, MRN or any other
    code with digits) are stored as a keyed hash of their normal form, so an
    auditor who holds the identifier can find the searches for it while a
    reader of the log learns nothing. Names and other words keep only their
    kind and length: a name cannot be hashed usefully (too few candidates) and
    must not be stored.
    """
    text = str(term).strip()
    if not text:
        return {"kind": "empty"}
    ascii_text = ascii_digits(text)
    if looks_like_national_id(ascii_text) and not ascii_text.startswith("0"):
        return {"kind": "national_id", "hash": hash_sensitive(ascii_text)}
    if _EMAIL.fullmatch(ascii_text):
        return {"kind": "email", "hash": hash_sensitive(ascii_text.lower())}
    phone = _as_phone(ascii_text)
    if phone:
        return {"kind": "phone", "hash": hash_sensitive(phone)}
    if any(char.isdigit() for char in ascii_text):
        if not any(char.isspace() for char in ascii_text):
            return {"kind": "identifier", "hash": hash_sensitive(ascii_text)}
        return {"kind": "text", "length": len(text)}
    if _NAME_CHARACTERS.fullmatch(text):
        return {"kind": "name", "length": len(text)}
    return {"kind": "text", "length": len(text)}


def _as_phone(text: str) -> str:
    """The E.164 form of a term written like a phone number, else ``""``."""
    from django.core.exceptions import ValidationError

    if not _PHONE_CHARACTERS.fullmatch(text) or not text.startswith(_PHONE_PREFIXES):
        return ""
    try:
        return normalize_phone(text)
    except ValidationError:
        return ""


# Changelist parameters that page or sort a list: they select no rows.
# Paging, sorting and the changelist's error flag: the admin's own parameters.
NAVIGATION_PARAMETERS = frozenset({ORDER_VAR, PAGE_VAR, ALL_VAR, ERROR_FLAG})
_INTEGER_ID = re.compile(r"\d{1,20}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")
_BOOLEANS = frozenset({"0", "1", "true", "false", "yes", "no", "on", "off"})
_RANGE_SUFFIX = re.compile(r"_(?:from|to|gte|lte|min|max)(?:_\d)?$")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_DATE_TYPES = frozenset({"DateField", "DateTimeField"})
_NUMBER_TYPES = frozenset(
    {
        "IntegerField",
        "SmallIntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "DecimalField",
    }
)
# Field names whose values are personal even when they look like a date or a number.
_PERSONAL_FIELD_WORDS = ("national_id", "mrn", "phone", "email", "recipient", "birth", "name")


def filter_parameters(params) -> dict[str, list[str]]:
    """The row-selecting parameters of a changelist URL: no paging, sorting, search or ``_`` plumbing."""
    return {
        key: values
        for key, values in _parameter_lists(params).items()
        if key != SEARCH_VAR and key not in NAVIGATION_PARAMETERS and not key.startswith("_")
    }


def audit_filters(model, params, *, choices: dict[str, set[str]] | None = None) -> dict:
    """A changelist's or export's query parameters as the audit log may keep them.

    A value stays as it is when it cannot identify a person: the id of a
    related row (``hospital__id__exact=<uuid>``), a choice of the field
    (``status__exact=done``), a yes/no, a date or number of a field that is not
    personal, a page or sort order, or an option of one of the admin's own
    filters (``choices``: parameter name -> its option values). Everything else
    (the search term ``q``, an MRN, a name, a phone number typed into any
    filter) goes through :func:`protect_term`. Admin plumbing (``_popup``,
    ``_to_field``, ``_changelist_filters``) is left out.
    """
    choices = choices or {}
    kept = {}
    for key, values in _parameter_lists(params).items():
        if key.startswith("_"):
            continue
        protected = [_filter_value(model, key, value, choices.get(key)) for value in values]
        kept[key] = protected[0] if len(protected) == 1 else protected
    return kept


def _parameter_lists(params) -> dict[str, list[str]]:
    if hasattr(params, "lists"):
        return {key: list(values) for key, values in params.lists()}
    return {key: list(value) if isinstance(value, list | tuple) else [value] for key, value in params.items()}


def _filter_value(model, key: str, value, options: set[str] | None):
    value = "" if value is None else str(value)
    if key == "q":
        return protect_term(value)
    if options is not None and value in options:
        return value
    if key in NAVIGATION_PARAMETERS:
        return value if re.fullmatch(r"[-\d.]*", value) else protect_term(value)
    field, lookup = _field_of(model, key)
    if field is None:
        return protect_term(value)
    items = value.split(",") if lookup == "in" else [value]
    kind = field.get_internal_type() if hasattr(field, "get_internal_type") else ""
    if lookup == "isnull" or kind == "BooleanField":
        return value if value.lower() in _BOOLEANS else protect_term(value)
    if field.is_relation or getattr(field, "primary_key", False):
        return value if all(_is_row_id(field, item.strip()) for item in items) else protect_term(value)
    if getattr(field, "choices", None):
        allowed = {str(choice) for choice, _label in field.flatchoices}
        if all(item in allowed for item in items):
            return value
    if any(word in field.name for word in _PERSONAL_FIELD_WORDS):
        return protect_term(value)
    if kind in _DATE_TYPES and _DATE.fullmatch(value):
        return value
    if kind in _NUMBER_TYPES and _NUMBER.fullmatch(value):
        return value
    return protect_term(value)


def _is_row_id(field, value: str) -> bool:
    """Whether ``value`` has the shape of the primary key the field points at (a UUID, or an integer).

    A ten-digit national ID typed into ``?patient=`` is not a patient's id:
    UUID-keyed rows accept only UUIDs here, so it is protected like any term.
    """
    target = field
    if field.is_relation and field.related_model is not None:
        target = field.related_model._meta.pk
    kind = target.get_internal_type() if hasattr(target, "get_internal_type") else ""
    if kind == "UUIDField":
        return bool(_UUID.fullmatch(value))
    if kind in ("AutoField", "BigAutoField", "SmallAutoField", *_NUMBER_TYPES):
        return bool(_INTEGER_ID.fullmatch(value))
    return False


def _field_of(model, key: str):
    """The model field a ``field__related__lookup`` parameter names, and the lookup after it.

    Unfold's range filters name their parameters ``<field>_from`` / ``<field>_to``:
    the suffix is tried off when the name itself is not a field.
    """
    from django.core.exceptions import FieldDoesNotExist

    parts = key.split("__")
    opts = model._meta
    field = None
    for index, part in enumerate(parts):
        found = None
        for name in dict.fromkeys([part, _RANGE_SUFFIX.sub("", part)]):
            try:
                found = opts.pk if name == "pk" else opts.get_field(name)
                break
            except FieldDoesNotExist:
                continue
        if found is None:
            return (field, "__".join(parts[index:])) if field is not None else (None, None)
        field = found
        if not (field.is_relation and field.related_model is not None):
            rest = "__".join(parts[index + 1 :])
            return field, rest or None
        opts = field.related_model._meta
    return field, None


def audit_search(*, request, model, term: str) -> None:
    """Record a search of personal data; the term itself is kept only as :func:`protect_term` allows."""
    audit_record(action=AuditAction.SEARCH, request=request, model=model, details={"term": protect_term(term)})


def audit_record(
    *,
    action: AuditAction | str,
    request=None,
    actor=None,
    obj=None,
    model=None,
    hospital=None,
    row_count: int | None = None,
    details: dict | None = None,
    username: str = "",
) -> AuditEvent:
    """Append one audit event. ``actor`` defaults to the request's user."""
    request_user = getattr(request, "user", None)
    if actor is None and request_user is not None and request_user.is_authenticated:
        actor = request_user
    if hospital is None and obj is not None:
        hospital = _hospital_of(obj)
    if hospital is None and actor is not None:
        hospital = getattr(actor, "hospital", None)
    content_type = None
    if obj is not None:
        content_type = ContentType.objects.get_for_model(type(obj))
    elif model is not None:
        content_type = ContentType.objects.get_for_model(model)
    return AuditEvent.objects.create(
        # Read the clock here, not through the field's default, so that a
        # patched clock (the demo's) reaches the audit log too.
        occurred_at=timezone.now(),
        action=action,
        actor=actor,
        actor_username=(actor.get_username() if actor is not None else username)[:150],
        hospital=hospital,
        content_type=content_type,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        row_count=row_count,
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
        details=details or {},
    )


def _hospital_of(obj):
    """The hospital a record belongs to (a hospital belongs to itself), without a query."""
    hospital_field = AuditEvent._meta.get_field("hospital")
    if isinstance(obj, hospital_field.related_model):
        return obj
    hospital_id = getattr(obj, "hospital_id", None)
    if hospital_id is None:
        return None
    return hospital_field.related_model(pk=hospital_id)
