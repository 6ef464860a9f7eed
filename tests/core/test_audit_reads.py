"""Reading personal data leaves an audit event, on every admin, through every door.

A model that holds personal data declares ``px_personal_data = True``. The
first tests refuse a model that holds such data without declaring it (fields
named like an identifier or a contact, or a link to a model that holds
personal data); the walk opens every registered admin of a declared model as a
user who may read it — its change page, its history, a version in its history
and a filtered list — and expects an audit event for each. A model registered
tomorrow is covered by both without anyone listing it here.
"""

import io

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from px360.core.admin.base import PXModelAdmin
from px360.core.models import AuditAction, AuditEvent
from px360.core.services import holds_personal_data

pytestmark = pytest.mark.django_db

# Field names that identify or reach a person.
PERSONAL_FIELD_WORDS = ("national_id", "phone", "mrn", "email", "recipient")
# Staff accounts are referenced by everything staff do (who acted, who manages a
# department, who created a key): the reference alone says nothing about a
# patient. The account model itself declares the flag (e-mail, phone).
STAFF_ACCOUNT = "accounts.user"


def project_models():
    """PX360's own models, less simple-history's row tables and guardian's grant tables.

    History rows are read through their model's history pages (audited with
    the model); grant tables hold who may see a record, not the record.
    """
    for model in apps.get_models():
        if not model.__module__.startswith("px360."):
            continue
        if hasattr(model, "instance_type") and model.__name__.startswith("Historical"):
            continue
        if issubclass(model, UserObjectPermissionBase | GroupObjectPermissionBase):
            continue
        yield model


def why_personal(model) -> list[str]:
    """The fields that make a model hold personal data, by name or by what they point at."""
    reasons = []
    for field in model._meta.get_fields():
        if field.auto_created and not field.concrete:
            continue  # reverse relations: the other model answers for itself
        if any(word in field.name for word in PERSONAL_FIELD_WORDS):
            reasons.append(field.name)
        elif field.is_relation and field.related_model is not None:
            target = field.related_model
            if target._meta.label_lower != STAFF_ACCOUNT and holds_personal_data(target):
                reasons.append(f"{field.name} -> {target._meta.label}")
    return reasons


def test_every_model_holding_personal_data_declares_it():
    undeclared = {
        model._meta.label: reasons
        for model in project_models()
        if (reasons := why_personal(model)) and not holds_personal_data(model)
    }
    assert undeclared == {}, "declare px_personal_data = True on these models"


def test_the_field_check_knows_the_models_that_must_be_audited():
    flagged = {model._meta.label_lower for model in project_models() if why_personal(model)}
    assert {
        "organizations.patient",
        "journeys.encounter",
        "surveys.guardiancontact",
        "surveys.surveyinstance",
        "notifications.notification",
        "integrations.inboundevent",
        "accounts.user",
    } <= flagged


def test_every_admin_of_personal_data_is_a_px360_admin():
    # Only PXModelAdmin reads the flag: an admin built on anything else would not audit.
    plain = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if holds_personal_data(model) and not isinstance(model_admin, PXModelAdmin)
    ]
    assert plain == []


# --- the walk -------------------------------------------------------------------


def _first_choice(model, field_name):
    return model._meta.get_field(field_name).choices[0][0]


def _guardian_contact():
    from px360.organizations.models import Patient
    from px360.surveys.models import GuardianContact

    patient = Patient.objects.filter(survey_guardian__isnull=True).first()
    return GuardianContact.objects.create(patient=patient, relationship="mother", phone="+966501234567")


def _survey_response():
    from px360.surveys.models import SurveyInstance, SurveyResponse
    from px360.surveys.services import template_current_version

    instance = SurveyInstance.objects.filter(response__isnull=True).first()
    return SurveyResponse.objects.create(
        instance=instance,
        hospital=instance.hospital,
        template=instance.template,
        version=instance.version or template_current_version(template=instance.template),
        language="ar",
    )


def _notification():
    from px360.notifications.models import Notification
    from px360.organizations.models import Patient

    patient = Patient.objects.first()
    return Notification.objects.create(
        hospital=patient.hospital,
        patient=patient,
        purpose=_first_choice(Notification, "purpose"),
        channel="sms",
        recipient="+966501234567",
        language="ar",
        template_key="survey_invitation",
        body="…",
        idempotency_key="audit-walk",
    )


def _inbound_event():
    from px360.integrations.models import InboundEvent, IntegrationSource
    from px360.journeys.models import Encounter

    encounter = Encounter.objects.first()
    source = IntegrationSource.objects.create(code="audit-walk", name="HIS")
    source.hospitals.add(encounter.hospital)
    return InboundEvent.objects.create(
        source=source,
        message_id="MSG-1",
        format=_first_choice(InboundEvent, "format"),
        hospital=encounter.hospital,
        encounter=encounter,
        encounter_number=encounter.encounter_number,
        raw="{}",
    )


def _first_hospital():
    from px360.organizations.models import Hospital

    return Hospital.objects.order_by("code").first()


def _complaint():
    from px360.complaints.services import Contact, NewComplaint, complaint_create

    return complaint_create(
        NewComplaint(hospital=_first_hospital(), summary="Walk", description="…", contact=Contact(name="N"))
    )


def _inquiry():
    from px360.complaints.services import inquiry_create

    return inquiry_create(hospital=_first_hospital(), subject="Walk", question="?")


def _feedback():
    from px360.complaints.services import feedback_create

    return feedback_create(hospital=_first_hospital(), kind="suggestion", text="Walk")


# Rows the demo data does not have; a model whose admin finds no row to open
# and has no builder here fails the walk by name.
BUILDERS = {
    "surveys.guardiancontact": _guardian_contact,
    "surveys.surveyresponse": _survey_response,
    "notifications.notification": _notification,
    "integrations.inboundevent": _inbound_event,
    "complaints.complaint": _complaint,
    "complaints.inquiry": _inquiry,
    "complaints.feedback": _feedback,
}


@pytest.fixture
def demo(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("PX360_DEMO_PASSWORD", "demo-password-360")
    call_command("load_demo", stdout=io.StringIO())


def personal_admins():
    return sorted(
        ((model, model_admin) for model, model_admin in admin.site._registry.items() if holds_personal_data(model)),
        key=lambda pair: pair[0]._meta.label,
    )


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _value_along(obj, path: str):
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    if isinstance(obj, models.Model):
        return str(obj.pk)
    return None if isinstance(obj, bool) else str(obj)


def filter_query(listing, obj) -> dict | None:
    """One filter of the list, as a user would set it: an option of the admin's own
    filters, or the row's own value in a field filter."""
    for spec in listing.context["cl"].filter_specs:
        if isinstance(spec, admin.SimpleListFilter) and spec.lookup_choices:
            return {spec.parameter_name: str(spec.lookup_choices[0][0])}
        for parameter in spec.expected_parameters():
            if parameter.endswith("__exact"):
                value = _value_along(obj, parameter.removesuffix("__exact"))
                if value:
                    return {parameter: value}
    return None


def search_query(model_admin, request, obj) -> dict | None:
    for field in model_admin.get_search_fields(request):
        value = _value_along(obj, field.lstrip("=^@"))
        if value:
            return {"q": value}
    return None


def new_events(mark, **filters):
    return AuditEvent.objects.filter(pk__gt=mark, **filters)


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_every_admin_of_personal_data_audits_change_history_and_filtered_list(client, demo, superuser):
    client.force_login(superuser)
    request = RequestFactory().get("/")
    request.user = superuser
    problems, walked = [], set()
    for model, model_admin in personal_admins():
        label = model._meta.label_lower
        obj = model_admin.get_queryset(request).first()
        if obj is None and label in BUILDERS:
            BUILDERS[label]()
            obj = model_admin.get_queryset(request).first()
        if obj is None:
            problems.append(f"{label}: no row to open; add a builder")
            continue
        walked.add(label)
        this_object = {"object_id": str(obj.pk)}

        mark = last_event_id()
        response = client.get(admin_url(model, "change", obj.pk))
        opened = new_events(mark, action__in=[AuditAction.VIEW, AuditAction.IMPORT_PREVIEW], **this_object)
        if response.status_code != 200 or not opened.exists():
            problems.append(f"{label}: change page {response.status_code}, not audited")

        mark = last_event_id()
        response = client.get(admin_url(model, "history", obj.pk))
        if response.status_code != 200 or not new_events(mark, action=AuditAction.VIEW, **this_object).exists():
            problems.append(f"{label}: history page {response.status_code}, not audited")

        history = getattr(obj, getattr(model._meta, "simple_history_manager_attribute", ""), None)
        version = history.order_by("-history_id").first() if history is not None else None
        if version is not None:
            mark = last_event_id()
            response = client.get(admin_url(model, "simple_history", obj.pk, version.history_id))
            read = new_events(mark, action=AuditAction.VIEW, details__version=str(version.history_id), **this_object)
            if response.status_code != 200 or not read.exists():
                problems.append(f"{label}: history version {response.status_code}, not audited")

        listing = client.get(admin_url(model, "changelist"))
        query, action = filter_query(listing, obj), AuditAction.FILTER
        if query is None:
            query, action = search_query(model_admin, request, obj), AuditAction.SEARCH
        if query is None:
            problems.append(f"{label}: neither a filter nor a search to open the list with")
            continue
        mark = last_event_id()
        response = client.get(admin_url(model, "changelist"), query)
        listed = new_events(mark, action=action, content_type=ContentType.objects.get_for_model(model))
        if response.status_code != 200 or not listed.exists():
            problems.append(f"{label}: list with {query} {response.status_code}, no {action} event")

    assert problems == []
    # The three the issue named, so that the walk can never become empty unnoticed.
    assert {"organizations.patient", "journeys.encounter", "surveys.guardiancontact"} <= walked
