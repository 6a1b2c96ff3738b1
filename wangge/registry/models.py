from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped
from wangge.regions.models import Household


class ResidenceKind(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    FLOATING = "floating", _("流动人口")


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Resident(TimeStamped):
    """A person living in the area (实有人口). One person is one row, identified by ID number.

    The ID number and phone are stored encrypted; `id_index` (an HMAC) allows exact lookup
    without decrypting, and the masked forms are kept for lists."""

    name = models.CharField(_("姓名"), max_length=50)
    id_cipher = models.TextField()
    id_index = models.CharField(max_length=64, unique=True)
    id_masked = models.CharField(_("身份证号"), max_length=18)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    phone_cipher = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("手机号"), max_length=11, blank=True)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="residents")
    region_key = models.CharField(max_length=17, db_index=True)
    kind = models.CharField(
        _("人口类别"), max_length=12, choices=ResidenceKind.choices, default=ResidenceKind.REGISTERED
    )
    moved_in = models.DateField(_("入住日期"), null=True, blank=True)

    class Meta:
        ordering = ["region_key", "id"]
        verbose_name = _("居民")
        constraints = [
            models.CheckConstraint(condition=~Q(id_index=""), name="resident_id_index_present"),
        ]

    def __str__(self):
        return self.name
