"""Page forms. They only parse; the services check every rule and name the field at fault."""

import datetime
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import PriceRule, ResourceKind, UnitKind


class UnitFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)
    kind = forms.ChoiceField(label=_("单位类型"), choices=[("", _("全部"))] + UnitKind.choices, required=False)
    barred = forms.ChoiceField(
        label=_("预约资格"),
        choices=[("", _("全部")), ("1", _("已暂停")), ("0", _("正常"))],
        required=False,
    )


class UnitForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=200)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=40, help_text=_("18位，字母不含 I、O、S、V、Z")
    )
    kind = forms.ChoiceField(label=_("单位类型"), choices=UnitKind.choices)
    grid_code = forms.CharField(
        label=_("所在网格代码"),
        max_length=40,
        widget=forms.TextInput(attrs={"list": "grid-options", "inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("15位网格代码，可从下拉提示中选择"),
    )
    compound_name = forms.CharField(
        label=_("所在小区"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "compound-options", "autocomplete": "off"}),
        help_text=_("不在小区内的留空"),
    )
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(
        label=_("联系电话"), max_length=40, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    has_party_organisation = forms.BooleanField(label=_("已建党组织"), required=False)
    party_organisation_name = forms.CharField(label=_("党组织名称"), max_length=120, required=False)


class UnitEditForm(UnitForm):
    """The stored phone is never put back into the page: a new one replaces it, or it is cleared."""

    clear_phone = forms.BooleanField(label=_("清除联系电话"), required=False)

    def __init__(self, *args, phone_masked: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_phone"].label = _("新联系电话")
        self.fields["contact_phone"].help_text = _("当前：%(p)s；留空则不变") % {"p": phone_masked or _("未登记")}


class BarForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看原因"), max_length=200)


class ResourceForm(forms.Form):
    name = forms.CharField(label=_("资源名称"), max_length=200)
    kind = forms.ChoiceField(label=_("资源类型"), choices=ResourceKind.choices)
    owner_type = forms.ChoiceField(
        label=_("所属"),
        choices=[("unit", _("驻区单位")), ("compound", _("小区"))],
        widget=forms.RadioSelect,
        initial="unit",
    )
    owner_unit_code = forms.CharField(
        label=_("所属单位的统一社会信用代码"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"list": "unit-options", "autocomplete": "off"}),
    )
    owner_grid_code = forms.CharField(
        label=_("所属小区所在网格代码"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"list": "grid-options", "inputmode": "numeric", "autocomplete": "off"}),
    )
    owner_compound_name = forms.CharField(
        label=_("所属小区名称"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "compound-options", "autocomplete": "off"}),
    )
    location = forms.CharField(label=_("位置"), max_length=200, required=False)
    capacity = forms.IntegerField(label=_("容量（人或个）"), required=False, min_value=1)
    opening_hours = forms.CharField(
        label=_("开放时间"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("如：周一至周五 08:00-12:00, 14:00-18:00；周六、周日 09:00-17:00（整点或半点）"),
    )
    price_rule = forms.ChoiceField(label=_("收费规则"), choices=PriceRule.choices)
    low_price = forms.DecimalField(
        label=_("低偿价（元/小时）"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=8,
        help_text=_("居民低偿：居民支付；共建单位低偿：单位支付"),
    )
    standard_price = forms.DecimalField(
        label=_("标准价（元/小时）"),
        required=False,
        min_value=0,
        decimal_places=2,
        max_digits=8,
        help_text=_("其他预约方支付的价格；免费开放的留空"),
    )
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    is_active = forms.BooleanField(label=_("开放预约"), required=False, initial=True)


_TIME = re.compile(r"^(?:[01][0-9]|2[0-3]):[03]0$|^24:00$")


class BookingForm(forms.Form):
    """Times are half hours, "24:00" ending at midnight; `offer_times` fills the pickers with
    the resource's opening window (any half hour parses, so a bound form never loses input)."""

    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start = forms.RegexField(label=_("开始"), regex=_TIME, widget=forms.Select)
    end = forms.RegexField(label=_("结束"), regex=_TIME, widget=forms.Select)
    unit_id = forms.TypedChoiceField(label=_("预约单位"), coerce=int, required=False)
    purpose = forms.CharField(label=_("用途"), max_length=200, required=False)
    attendees = forms.IntegerField(label=_("参加人数"), required=False, min_value=1, max_value=1_000_000)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit_id"]
        else:
            self.fields["unit_id"].required = True
            barred = _("已暂停预约")
            self.fields["unit_id"].choices = [("", _("请选择"))] + [
                (u.pk, f"{u.name}（{barred}）" if u.booking_barred else u.name) for u in units
            ]

    def clean_day(self):
        day = self.cleaned_data["day"]
        if abs((day - timezone.localdate()).days) > 3650:
            raise forms.ValidationError(_("日期超出范围"))
        return day

    def offer_times(self, times: list[str]) -> None:
        self.fields["start"].widget.choices = [(t, t) for t in times[:-1]]
        self.fields["end"].widget.choices = [(t, t) for t in times[1:]]

    def span(self) -> tuple[datetime.datetime, datetime.datetime]:
        """Naive local start and end; "24:00" is the next midnight."""
        day = datetime.datetime.combine(self.cleaned_data["day"], datetime.time())

        def moment(text: str) -> datetime.datetime:
            hours, minutes = (int(part) for part in text.split(":"))
            return day + datetime.timedelta(hours=hours, minutes=minutes)

        return moment(self.cleaned_data["start"]), moment(self.cleaned_data["end"])


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200, required=False)
