"""Demo accounts: an administrator, and one user per role in each demo hospital."""

from px360.organizations.models import Department, Hospital, Physician

from .models import Role, User
from .roles import RoleCode
from .services import create_default_roles, user_set_roles

# Department each department-bound demo user works in.
_DEPARTMENT = {
    RoleCode.DEPARTMENT_MANAGER: "MED",
    RoleCode.NURSE: "WARD3",
    RoleCode.STAFF: "OPD",
    RoleCode.PHYSICIAN: "CARD",
}


def load_superuser(*, password):
    if User.objects.filter(username="admin").exists():
        return []
    User.objects.create_superuser("admin", "admin@px360.local", password, first_name="PX360", last_name="Admin")
    return ["admin"]


def demo_username(hospital_code: str, role_code: str) -> str:
    return f"{hospital_code.lower()}_{role_code}"


def load_role_users(*, password):
    create_default_roles()
    created = []
    roles = {role.code: role for role in Role.objects.all()}
    for hospital in Hospital.objects.filter(code__in=["RYD", "JED"]):
        for code in RoleCode:
            username = demo_username(hospital.code, code.value)
            if User.objects.filter(username=username).exists():
                continue
            department = None
            if code in _DEPARTMENT:
                department = Department.objects.filter(hospital=hospital, code=_DEPARTMENT[code]).first()
            user = User.objects.create_user(
                username,
                f"{username}@px360.local",
                password,
                is_staff=True,
                hospital=hospital,
                department=department,
                first_name=code.label,
                last_name=hospital.code,
            )
            user_set_roles(user=user, roles=[roles[code.value]], by=None)
            if code == RoleCode.PHYSICIAN:
                physician = (
                    Physician.objects.filter(hospital=hospital, department=department, user__isnull=True)
                    .order_by("license_number")
                    .first()
                )
                if physician is not None:
                    physician.user = user
                    physician.save()
            created.append(username)
    return created
