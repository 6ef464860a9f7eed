"""Reads of organisation data."""

from px360.core.access import restrict

from .models import Department, Hospital, Patient, Physician


def department_subtree_ids(department_id) -> set:
    """The department and every department below it (one query per hospital)."""
    hospital_id = Department.all_objects.filter(pk=department_id).values_list("hospital_id", flat=True).first()
    if hospital_id is None:
        return set()
    children: dict = {}
    for pk, parent_id in Department.objects.filter(hospital_id=hospital_id).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    result, stack = set(), [department_id]
    while stack:
        current = stack.pop()
        if current in result:
            continue
        result.add(current)
        stack.extend(children.get(current, []))
    return result


def hospital_list(*, user):
    return restrict(Hospital.objects.all(), user)


def department_list(*, user):
    return restrict(Department.objects.select_related("hospital", "parent"), user)


def physician_list(*, user):
    return restrict(Physician.objects.select_related("hospital", "department"), user)


def patient_list(*, user):
    return restrict(Patient.objects.select_related("hospital"), user)
