import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped
from wangge.regions.models import Department, Region

from .roles import Role, role_can


class User(AbstractUser):
    """A person who logs in. Staff are bound to one scope: a region node or a department."""

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, default=Role.RESIDENT)
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机号"), max_length=11, blank=True)
    scope_region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="staff", verbose_name=_("管辖区域")
    )
    scope_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("所属部门"),
    )

    class Meta:
        verbose_name = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope_region__isnull=True) | Q(scope_department__isnull=True),
                name="user_one_scope_only",
            ),
        ]

    def __str__(self):
        return self.display_name or self.username

    @property
    def scope_key(self) -> str | None:
        """The region prefix this user may see; None means nothing at all."""
        if self.scope_region_id:
            return self.scope_region.key
        if self.scope_department_id:
            return self.scope_department.region_key
        return None

    def can(self, capability: str) -> bool:
        return self.is_active and role_can(self.role, capability)


class ApiToken(TimeStamped):
    """A bearer token for systems that call the API. Only a hash is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_raw() -> str:
        return "wg_" + secrets.token_urlsafe(32)

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"
