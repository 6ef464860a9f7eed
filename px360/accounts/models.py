"""Users and their roles."""

import uuid

from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from px360.core.access import ModelAccess
from px360.core.choices import Language
from px360.core.history import history_user
from px360.core.models import BaseModel

from .roles import RoleCode


class Role(BaseModel):
    """One of the eight PX360 roles; its permissions live on the linked group."""

    code = models.CharField(_("code"), max_length=30, unique=True, choices=RoleCode.choices)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(
        _("level"), help_text=_("Higher levels see more; the highest role a user holds decides their scope.")
    )
    group = models.OneToOneField(Group, verbose_name=_("group"), on_delete=models.PROTECT, related_name="role")

    px_access = ModelAccess(shared=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["-level"]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A member of staff who signs in to the admin.

    Patients never have accounts: they answer surveys through signed links.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hospital = models.ForeignKey(
        "organizations.Hospital",
        verbose_name=_("hospital"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    department = models.ForeignKey(
        "organizations.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    # Empty until the user chooses: then the language they sign in with is kept.
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=2,
        choices=Language.choices,
        blank=True,
        default="",
        help_text=_("The admin opens in this language after signing in. Leave empty to keep the sign-in page's."),
    )
    roles = models.ManyToManyField(Role, verbose_name=_("roles"), blank=True, related_name="users")

    history = HistoricalRecords(excluded_fields=["password", "last_login"], get_user=history_user)

    px_access = ModelAccess(hospital="hospital", department="department", owner="pk")
    px_personal_data = True

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.username

    def highest_role(self) -> Role | None:
        cached = getattr(self, "_px360_highest_role", False)
        if cached is not False:
            return cached
        role = self.roles.order_by("-level").first() if self.pk else None
        self._px360_highest_role = role
        return role

    @property
    def level(self) -> int:
        if self.is_superuser:
            return 1000
        role = self.highest_role()
        return role.level if role else 0
