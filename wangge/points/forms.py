"""Page forms. They only parse; the services check every rule and name the field at fault."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.party.contracts import ActivityType

from .models import AccountKind, ModelTitle, ScoreMeasure


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名/名称"), required=False, max_length=50)
    kind = forms.ChoiceField(label=_("账户类型"), choices=[("", _("全部"))] + AccountKind.choices, required=False)


class RedeemForm(forms.Form):
    reward = forms.IntegerField(label=_("兑换物品"), widget=forms.Select)
    quantity = forms.IntegerField(label=_("数量"), initial=1, min_value=1, max_value=100)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)


class TimeBankForm(forms.Form):
    hours = forms.DecimalField(label=_("支取时长（小时）"), min_value=Decimal("0.1"), max_value=100, decimal_places=1)
    service = forms.CharField(label=_("接受的服务"), max_length=100, help_text=_("如：陪诊、助餐、上门照料"))
    provider = forms.CharField(label=_("服务提供者（选填）"), max_length=50, required=False)
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("冲正原因"), max_length=200)


class RewardForm(forms.Form):
    community_code = forms.CharField(label=_("社区代码"), max_length=12, help_text=_("12位社区代码"))
    name = forms.CharField(label=_("物品名称"), max_length=100)
    points = forms.IntegerField(label=_("所需积分"), min_value=1, max_value=100000)
    stock = forms.IntegerField(label=_("库存"), min_value=0, max_value=100000, initial=0)
    description = forms.CharField(label=_("说明"), max_length=200, required=False)


class RewardEditForm(forms.Form):
    points = forms.IntegerField(label=_("所需积分"), min_value=1, max_value=100000)
    stock_added = forms.IntegerField(
        label=_("入库数量"), initial=0, min_value=-100000, max_value=100000, help_text=_("负数为出库（报损）")
    )
    description = forms.CharField(label=_("说明"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("上架"), required=False)


class RankingForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("季度"), coerce=int, choices=[(n, _("第%(n)d季度") % {"n": n}) for n in range(1, 5)]
    )
    level = forms.ChoiceField(label=_("排名范围"), choices=[("grid", _("按网格")), ("community", _("按社区"))])


class RuleForm(forms.Form):
    activity_type = forms.ChoiceField(choices=ActivityType.choices, widget=forms.HiddenInput)
    points_per_service = forms.IntegerField(label=_("每次积分"), min_value=0, max_value=1000)
    points_per_hour = forms.IntegerField(label=_("每小时积分"), min_value=0, max_value=1000)
    hours_factor = forms.DecimalField(label=_("时间银行折算"), min_value=0, max_value=10, decimal_places=1)
    is_active = forms.BooleanField(label=_("启用"), required=False)


class ScoreLineForm(forms.Form):
    measure = forms.ChoiceField(choices=ScoreMeasure.choices, widget=forms.HiddenInput)
    points_each = forms.DecimalField(label=_("每项得分"), min_value=0, max_value=200, decimal_places=1)
    cap = forms.DecimalField(label=_("最高得分"), min_value=0, max_value=200, decimal_places=1)
    explanation = forms.CharField(label=_("说明"), max_length=200)
    is_active = forms.BooleanField(label=_("启用"), required=False)


class ModelForm(forms.Form):
    title = forms.ChoiceField(label=_("称号"), choices=ModelTitle.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=_("季度"),
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", _("全年"))] + [(n, _("第%(n)d季度") % {"n": n}) for n in range(1, 5)],
    )
    community_code = forms.CharField(label=_("社区代码"), max_length=12)
    nominee = forms.CharField(label=_("入选对象"), max_length=100, help_text=_("如“张三家庭”“第一小学”"))
    account = forms.IntegerField(label=_("积分账户编号"), required=False, help_text=_("选填：入选对象的积分账户"))
    basis = forms.CharField(label=_("评选依据"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class ScoreYearForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)


class AdjustForm(forms.Form):
    points = forms.DecimalField(label=_("加减分"), max_digits=5, decimal_places=1, help_text=_("如 5 或 -10"))
    reason = forms.CharField(label=_("理由"), max_length=200)


class LinkUserForm(forms.Form):
    username = forms.CharField(label=_("居民登录账号"), max_length=150)
