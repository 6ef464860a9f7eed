"""Factories for test data: bilingual organisations and users in roles."""

import itertools

import factory

from px360.accounts.models import Role, User
from px360.accounts.services import user_set_roles
from px360.organizations.models import Department, Employee, Hospital, Patient, Physician

_ids = itertools.count(1)


def valid_national_id(seed: int, first: str = "1") -> str:
    from px360.core.validators import national_id_is_valid

    body = first + f"{seed:08d}"[-8:]
    for check in "0123456789":
        if national_id_is_valid(body + check):
            return body + check
    raise AssertionError


class HospitalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hospital
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"H{n:03d}")
    name = factory.LazyAttribute(lambda o: f"مستشفى {o.code}")
    name_ar = factory.LazyAttribute(lambda o: f"مستشفى {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Hospital {o.code}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    hospital = factory.SubFactory(HospitalFactory)
    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.LazyAttribute(lambda o: f"قسم {o.code}")
    name_ar = factory.LazyAttribute(lambda o: f"قسم {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Department {o.code}")


class PhysicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Physician

    license_number = factory.Sequence(lambda n: f"LIC{n:05d}")
    name = factory.LazyAttribute(lambda o: f"د. {o.license_number}")
    name_ar = factory.LazyAttribute(lambda o: f"د. {o.license_number}")
    name_en = factory.LazyAttribute(lambda o: f"Dr. {o.license_number}")
    hospital = factory.SubFactory(HospitalFactory)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    hospital = factory.SubFactory(HospitalFactory)
    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    national_id = factory.Sequence(lambda n: valid_national_id(n + 1000))
    name_ar = factory.Sequence(lambda n: f"مريض رقم {n}")
    name_en = factory.Sequence(lambda n: f"Patient Number {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        self.save()
        if extracted:
            user_set_roles(user=self, roles=[Role.objects.get(code=extracted)], by=None)


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    user = factory.SubFactory(UserFactory)
    hospital = factory.SubFactory(HospitalFactory)
    employee_number = factory.Sequence(lambda n: f"E{n:05d}")
