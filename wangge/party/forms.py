"""Page forms. They only parse; the services check every rule and name the field at fault.
Choice lists (organisations, reporters) are filled by the view from scoped selectors."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .contracts import ActivityType
from .models import LeftReason, MemberStatus, NeedSource, OrgCategory, OrgKind, Post, ReportingStatus

CODE_ATTRS = {"inputmode": "numeric", "autocomplete": "off"}


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=200)
    kind = forms.ChoiceField(label=_("组织类型"), choices=OrgKind.choices)
    category = forms.ChoiceField(label=_("组织类别"), choices=OrgCategory.choices, initial=OrgCategory.TERRITORIAL)
    region_code = forms.CharField(
        label=_("所在区域代码"), max_length=20, widget=forms.TextInput(attrs={**CODE_ATTRS, "list": "region-options"})
    )
    parent_id = forms.ChoiceField(label=_("上级组织"), required=False)
    compound_id = forms.ChoiceField(label=_("小区（小区党支部）"), required=False)
    unit_code = forms.CharField(
        label=_("所属驻区单位的统一社会信用代码"), max_length=40, required=False, help_text=_("驻区单位党组织必填")
    )
    served_region_codes = forms.CharField(
        label=_("服务区域代码"),
        max_length=500,
        required=False,
        help_text=_("非区域党组织填写其服务的社区或网格，多个用逗号分隔"),
    )
    secretary = forms.CharField(label=_("书记"), max_length=100, required=False)

    def codes(self) -> list[str]:
        raw = self.cleaned_data.get("served_region_codes", "").replace("，", ",")
        return [code.strip() for code in raw.split(",") if code.strip()]


class OrganisationEditForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=200)
    kind = forms.ChoiceField(label=_("组织类型"), choices=OrgKind.choices)
    secretary = forms.CharField(label=_("书记"), max_length=100, required=False)


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名/工作单位"), required=False)
    status = forms.ChoiceField(
        label=_("党员类别"),
        choices=[("", _("全部在册"))] + MemberStatus.choices + [("left", _("已离开"))],
        required=False,
    )
    post = forms.ChoiceField(
        label=_("岗位"), choices=[("", _("全部")), ("any", _("已设岗"))] + Post.choices[1:], required=False
    )


class MemberForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=100)
    id_number = forms.CharField(label=_("身份证号"), max_length=30)
    phone = forms.CharField(label=_("手机号"), max_length=30, required=False)
    joined_on = forms.DateField(label=_("入党日期"), widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("党员类别"), choices=MemberStatus.choices)
    organisation_id = forms.ChoiceField(label=_("所在党组织"))
    grid_code = forms.CharField(
        label=_("居住网格代码"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={**CODE_ATTRS, "list": "region-options"}),
        help_text=_("身份证号已在居民台账中的，自动关联其住户，可留空"),
    )
    in_service = forms.BooleanField(label=_("在职党员（需向居住地社区报到）"), required=False)
    employer_code = forms.CharField(label=_("工作单位统一社会信用代码（驻区单位）"), max_length=40, required=False)
    employer_name = forms.CharField(label=_("工作单位名称（非驻区单位）"), max_length=200, required=False)
    post = forms.ChoiceField(label=_("岗位（设岗定责）"), choices=Post.choices, required=False)
    post_duty = forms.CharField(label=_("岗位职责"), max_length=300, required=False)
    shows_identity = forms.BooleanField(label=_("亮身份：挂“党员户”标识"), required=False, initial=True)
    username = forms.CharField(
        label=_("关联账号（用户名）"),
        max_length=150,
        required=False,
        help_text=_("关联后，党员可用自己的手机认领需求、加入项目"),
    )


class MemberLeaveForm(forms.Form):
    reason = forms.ChoiceField(label=_("离开原因"), choices=LeftReason.choices)
    on = forms.CharField(label=_("离开日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("转往的党组织（转出时必填）"), max_length=200, required=False)


class MemberEditForm(forms.Form):
    status = forms.ChoiceField(label=_("党员类别"), choices=MemberStatus.choices)
    organisation_id = forms.TypedChoiceField(
        label=_("所在党组织（组织关系转接）"), coerce=int, help_text=_("转入本辖区内的另一个党组织")
    )
    post = forms.ChoiceField(label=_("岗位（设岗定责）"), choices=Post.choices, required=False)
    post_duty = forms.CharField(label=_("岗位职责"), max_length=300, required=False)
    shows_identity = forms.BooleanField(label=_("亮身份：挂“党员户”标识"), required=False)


class ReporterField(forms.ChoiceField):
    """ "org:<id>" or "member:<id>", split into the two service arguments."""

    @staticmethod
    def split(value: str) -> dict:
        kind, _sep, pk = (value or "").partition(":")
        return {"organisation_id": pk or None} if kind == "org" else {"member_id": pk or None}


class RegistrationForm(forms.Form):
    reporter = ReporterField(label=_("报到的党组织或在职党员"))
    community_code = forms.CharField(label=_("报到社区代码"), max_length=20, widget=forms.TextInput(attrs=CODE_ATTRS))
    grid_code = forms.CharField(
        label=_("报到网格代码（党员）"), max_length=20, required=False, widget=forms.TextInput(attrs=CODE_ATTRS)
    )
    note = forms.CharField(label=_("报到说明"), max_length=300, required=False)


class DecideForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s, label) for s, label in ReportingStatus.choices if s != ReportingStatus.PENDING]
    )
    reason = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class NeedForm(forms.Form):
    title = forms.CharField(label=_("需求"), max_length=200)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    source = forms.ChoiceField(label=_("来源"), choices=NeedSource.choices, initial=NeedSource.COMMUNITY)
    region_code = forms.CharField(label=_("社区或网格代码"), max_length=20, widget=forms.TextInput(attrs=CODE_ATTRS))


class OfferForm(forms.Form):
    title = forms.CharField(label=_("资源"), max_length=200)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reporter = ReporterField(label=_("提供方（已报到的党组织或党员）"))


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("项目"), max_length=200)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    community_code = forms.CharField(label=_("社区代码"), max_length=20, widget=forms.TextInput(attrs=CODE_ATTRS))


class ClaimForm(forms.Form):
    reporter = ReporterField(label=_("认领方"), required=False)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=200)
    activity_type = forms.ChoiceField(label=_("活动类型"), choices=ActivityType.choices)
    community_code = forms.CharField(label=_("社区代码"), max_length=20, widget=forms.TextInput(attrs=CODE_ATTRS))
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    capacity = forms.IntegerField(
        label=_("人数上限"), required=False, min_value=1, max_value=10000, help_text=_("不限人数请留空")
    )


class HoursForm(forms.Form):
    hours = forms.CharField(label=_("每人服务时长（小时）"), max_length=10)


class ServiceForm(forms.Form):
    reporter = ReporterField(label=_("服务的党员或单位党组织"))
    community_code = forms.CharField(label=_("社区代码"), max_length=20, widget=forms.TextInput(attrs=CODE_ATTRS))
    occurred_on = forms.DateField(label=_("服务日期"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.CharField(label=_("服务时长（小时）"), max_length=10)
    activity_type = forms.ChoiceField(label=_("服务类型"), choices=ActivityType.choices)
    description = forms.CharField(label=_("服务内容"), max_length=300)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), max_length=300, required=False)
