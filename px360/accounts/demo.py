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


# The demo's people: a Saudi hospital's staff, named as their colleagues know
# them. A name is the person's, not a label: it reads the same in Arabic and
# English pages (the role is shown as the role, in the reader's language).
_NAMES = {
    "RYD": {
        RoleCode.PX_ADMIN: ("نورة", "العتيبي"),
        RoleCode.HOSPITAL_ADMIN: ("خالد", "الدوسري"),
        RoleCode.DEPARTMENT_MANAGER: ("فهد", "الشمري"),
        RoleCode.PX_COORDINATOR: ("ريم", "الزهراني"),
        RoleCode.PHYSICIAN: ("عبدالله", "الغامدي"),
        RoleCode.NURSE: ("منى", "الحربي"),
        RoleCode.STAFF: ("ماجد", "السبيعي"),
        RoleCode.VIEWER: ("لمى", "المطيري"),
    },
    "JED": {
        RoleCode.PX_ADMIN: ("هند", "باعشن"),
        RoleCode.HOSPITAL_ADMIN: ("سلطان", "الجهني"),
        RoleCode.DEPARTMENT_MANAGER: ("ياسر", "الحازمي"),
        RoleCode.PX_COORDINATOR: ("أمل", "باحارث"),
        RoleCode.PHYSICIAN: ("هشام", "العمودي"),
        RoleCode.NURSE: ("أسماء", "المالكي"),
        RoleCode.STAFF: ("بندر", "الصاعدي"),
        RoleCode.VIEWER: ("رهف", "الثقفي"),
    },
}


def load_superuser(*, password):
    if User.objects.filter(username="admin").exists():
        return []
    User.objects.create_superuser("admin", "admin@px360.local", password, first_name="مدير", last_name="النظام")
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
            first_name, last_name = _NAMES[hospital.code][code]
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
                first_name=first_name,
                last_name=last_name,
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
