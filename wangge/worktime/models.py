from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.core.models import TimeStamped


class CalendarDay(TimeStamped):
    """An exception to "Monday to Friday are working days, weekends are off": a public holiday
    (放假, is_working False) or a make-up working day on a weekend (调休上班, is_working True).

    The calendar is national: one row per date for the whole installation. Change it only through
    the services, which also replace CalendarVersion's token so every process reloads it."""

    date = models.DateField(_("日期"), unique=True)
    is_working = models.BooleanField(_("上班"))
    name = models.CharField(_("名称"), max_length=50)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日与调休")
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="calendarday_name_required")]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"

    def clean(self):
        if self.is_working and self.date is not None and self.date.weekday() < 5:
            raise ValidationError(
                {"is_working": _("%(d)s 是周一至周五，本来就上班；调休上班日只能是周六或周日") % {"d": self.date}}
            )

    @property
    def kind_label(self) -> str:
        return str(_("调休上班")) if self.is_working else str(_("放假"))


class CalendarVersion(models.Model):
    """A token replaced in the same transaction as every calendar change, so each process can
    tell with one primary-key read whether its cached calendar is still current. Random rather
    than a counter: a restored database cannot repeat a token a process has cached."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=32, default="")

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="calendarversion_single_row")]
