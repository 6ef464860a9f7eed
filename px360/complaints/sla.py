"""The item kinds complaints and inquiries run on the SLA engine (registered on start)."""

from django.utils.translation import gettext_lazy as _

from px360.sla.registry import ItemKind, ItemStatus, register

from .choices import ComplaintStatus, InquiryStatus, Severity

COMPLAINT = "complaint"
INQUIRY = "inquiry"


def reassign_items(item_type, reassignments) -> list[str]:
    """An escalation step hands open complaints or inquiries to someone else (one call per sweep).

    Each item gets its new assignee, a history row and, for a complaint, a
    timeline entry naming the step; the new assignee is told. Items closed
    since the step was planned are left alone.
    """
    from django.contrib.auth import get_user_model

    from .services import reassigned_by_escalation

    model = item_type.model_class()
    users = get_user_model().objects.in_bulk({r.user_id for r in reassignments})
    items = model.objects.in_bulk([r.item_id for r in reassignments])
    done = []
    for reassignment in reassignments:
        item = items.get(model._meta.pk.to_python(reassignment.item_id))
        user = users.get(reassignment.user_id)
        if item is None or user is None:
            continue
        if reassigned_by_escalation(item, user, clock=reassignment.clock):
            done.append(reassignment.item_id)
    return done


def register_kinds() -> None:
    register(
        ItemKind(
            code=COMPLAINT,
            label=_("Complaint"),
            statuses=(
                ItemStatus(ComplaintStatus.NEW, ComplaintStatus.NEW.label),
                ItemStatus(ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.ACKNOWLEDGED.label, acknowledges=True),
                ItemStatus(ComplaintStatus.IN_PROGRESS, ComplaintStatus.IN_PROGRESS.label, acknowledges=True),
                ItemStatus(ComplaintStatus.WAITING, ComplaintStatus.WAITING.label, acknowledges=True),
                ItemStatus(ComplaintStatus.RESOLVED, ComplaintStatus.RESOLVED.label, acknowledges=True, resolves=True),
                ItemStatus(ComplaintStatus.CLOSED, ComplaintStatus.CLOSED.label, acknowledges=True, resolves=True),
            ),
            severities=tuple((str(value), label) for value, label in Severity.choices),
            reassign=reassign_items,
        )
    )
    register(
        ItemKind(
            code=INQUIRY,
            label=_("Inquiry"),
            statuses=(
                ItemStatus(InquiryStatus.NEW, InquiryStatus.NEW.label),
                ItemStatus(InquiryStatus.IN_PROGRESS, InquiryStatus.IN_PROGRESS.label, acknowledges=True),
                ItemStatus(InquiryStatus.WAITING, InquiryStatus.WAITING.label, acknowledges=True),
                ItemStatus(InquiryStatus.ANSWERED, InquiryStatus.ANSWERED.label, acknowledges=True, resolves=True),
                ItemStatus(InquiryStatus.CLOSED, InquiryStatus.CLOSED.label, acknowledges=True, resolves=True),
                ItemStatus(InquiryStatus.PROMOTED, InquiryStatus.PROMOTED.label, acknowledges=True, resolves=True),
            ),
            reassign=reassign_items,
        )
    )
