import pytest
from django.core.exceptions import ValidationError

from ..factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_department_cannot_be_its_own_ancestor(hospital_a):
    top = DepartmentFactory(hospital=hospital_a, code="TOP")
    middle = DepartmentFactory(hospital=hospital_a, code="MID", parent=top)
    bottom = DepartmentFactory(hospital=hospital_a, code="BOT", parent=middle)
    top.parent = bottom
    with pytest.raises(ValidationError) as error:
        top.full_clean()
    assert "parent" in error.value.message_dict
    top.parent = top
    with pytest.raises(ValidationError):
        top.full_clean()


def test_parent_must_be_in_the_same_hospital(hospital_a, hospital_b):
    parent = DepartmentFactory(hospital=hospital_b, code="P")
    child = DepartmentFactory.build(hospital=hospital_a, code="C", parent=parent)
    with pytest.raises(ValidationError) as error:
        child.full_clean()
    assert "parent" in error.value.message_dict


def test_department_codes_are_unique_within_a_hospital_only(hospital_a, hospital_b):
    DepartmentFactory(hospital=hospital_a, code="ED")
    DepartmentFactory(hospital=hospital_b, code="ED")
    duplicate = DepartmentFactory.build(hospital=hospital_a, code="ED")
    with pytest.raises(ValidationError):
        duplicate.full_clean()


def test_subtree_selector(hospital_a):
    from px360.organizations.selectors import department_subtree_ids

    top = DepartmentFactory(hospital=hospital_a, code="T")
    child = DepartmentFactory(hospital=hospital_a, code="C", parent=top)
    grandchild = DepartmentFactory(hospital=hospital_a, code="G", parent=child)
    DepartmentFactory(hospital=hospital_a, code="OTHER")
    assert department_subtree_ids(top.pk) == {top.pk, child.pk, grandchild.pk}
    assert department_subtree_ids(grandchild.pk) == {grandchild.pk}


def test_an_imported_department_is_validated_like_the_form(hospital_admin_a, hospital_a, hospital_b):
    import tablib

    from px360.organizations.models import Department
    from px360.organizations.resources import DepartmentResource

    DepartmentFactory(hospital=hospital_a, code="TOP")
    dataset = tablib.Dataset(headers=["hospital_code", "code", "name_ar", "name_en", "is_active"])
    dataset.append([hospital_a.code, "NEW", "جديد", "New", "1"])
    result = DepartmentResource(user=hospital_admin_a).import_data(dataset, dry_run=True)
    assert not result.has_validation_errors()
    # A row for another hospital is refused by scope.
    other = tablib.Dataset(headers=["hospital_code", "code", "name_ar", "name_en", "is_active"])
    other.append([hospital_b.code, "X", "س", "X", "1"])
    result = DepartmentResource(user=hospital_admin_a).import_data(other, dry_run=True)
    assert result.has_validation_errors()
    assert not Department.objects.filter(code="X").exists()
