"""Forms of the case pages. They only parse what was typed; every rule (text length, place in
China, photo type and size, who may do what) is checked by the services, whose refusals the views
put back on the field they name."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.accounts.roles import Role

from .models import AccessKind, CategoryKind, Channel, ContactPreference, Rating, TimeUnit, TransferService
from .selectors import communities_to_report_in
from .services import CHANNELS_BY_ROLE


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Any number of files; the services check their count, type and size."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("照片"))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [f for f in files if f]


def _text(label, rows=3, required=False, max_length=2000):
    return forms.CharField(
        label=label, required=required, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows})
    )


class ReportForm(forms.Form):
    text = _text(_("问题描述"), rows=4)
    photos = PhotosField()
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(label=_("地址或位置说明"), required=False, max_length=200)
    channel = forms.ChoiceField(label=_("上报渠道"), choices=Channel.choices)
    contact_preference = forms.ChoiceField(label=_("回复方式"), choices=ContactPreference.choices)
    reporter_phone = forms.CharField(label=_("联系电话（选填）"), required=False, max_length=20)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = CHANNELS_BY_ROLE.get(user.role, set())
        choices = [(value, label) for value, label in Channel.choices if value in allowed]
        self.fields["channel"].choices = choices or Channel.choices
        self.fields["channel"].initial = choices[0][0] if choices else Channel.RESIDENT
        if len(choices) <= 1:
            self.fields["channel"].widget = forms.HiddenInput()
        # Callers (12345) have no account to be messaged in: they are called back.
        by_phone = user.role == Role.HOTLINE_OPERATOR
        self.fields["contact_preference"].initial = ContactPreference.PHONE if by_phone else ContactPreference.APP
        communities = communities_to_report_in(user=user)
        if communities:
            # Above a community the place cannot default to the reporter's own grid: without a
            # point on the map, the community must be named.
            self.fields["region_code"] = forms.ChoiceField(
                label=_("所在社区（未在地图上选点时必选）"),
                required=False,
                choices=[("", "—")] + [(c.code, f"{c.parent.name} · {c.name}") for c in communities],
            )


# ---- one small form per workflow action -------------------------------------------------------

TEXT_LABELS = {
    "reason": _("理由"),
    "report": _("处置结果"),
    "ruling": _("裁定意见"),
    "comment": _("评价意见（选填）"),
    "note": _("说明（选填）"),
    "text": _("说明（选填）"),
}
# The fields of each action's form, named as the service's keyword arguments.
ACTION_FIELDS = {
    "accept": ["category", "text"],
    "reject": ["reason"],
    "merge": ["into", "text"],
    "transfer": ["service", "reference", "text"],
    "answer": ["category", "text"],
    "take": ["text"],
    "escalate": ["reason"],
    "dispatch": ["lead", "assisting", "category", "note"],
    "assign_community": ["category", "note"],
    "return": ["reason"],
    "rule_return": ["lead", "assisting", "ruling"],
    "start": ["note"],
    "suspend": ["reason"],
    "resume": ["note"],
    "request_extension": ["hours", "days", "reason"],
    "approve_extension": ["note"],
    "deny_extension": ["reason"],
    "handle": ["report", "photos"],
    "rework": ["reason", "photos"],
    "verify": ["photos", "note"],
    "close": ["note"],
    "rate": ["rating", "comment"],
    "reopen": ["reason"],
    "urge": ["text"],
    "supervise": ["text"],
    "note": ["text", "photos"],
}
ANNOTATIONS = frozenset({"urge", "supervise", "note"})
TEXT_FIELDS = ("reason", "report", "ruling", "comment", "note", "text")


class ActionForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def action_form(
    action: str,
    *,
    categories=(),
    departments=(),
    suggested=None,
    suggested_category="",
    data=None,
    files=None,
    case=None,
):
    """The form for one action on a case: `categories` and `departments` are the choices that
    apply at its place; `suggested` is preselected as the lead department and
    `suggested_category` (the dispatch model's best guess) as the category of an uncategorised case."""
    form = ActionForm(
        data=data, files=files, prefix=action, initial={"expected_version": case.version if case else None}
    )
    department_choices = [(d.code, d.name) for d in departments]
    for name in ACTION_FIELDS[action]:
        if name in TEXT_FIELDS:
            field = _text(TEXT_LABELS[name], rows=2)
        elif name == "category":
            field = forms.ChoiceField(
                label=_("事项类别"),
                required=False,
                choices=[("", _("（保持不变）") if case and case.category_id else "—")]
                + [(c.code, f"{c.code} {c.name}") for c in categories],
                initial=case.category.code if case and case.category_id else suggested_category,
            )
        elif name == "lead":
            field = forms.ChoiceField(
                label=_("主办部门"),
                choices=[("", "—")] + department_choices,
                required=action == "dispatch",
                initial=suggested.code if suggested else "",
            )
        elif name == "assisting":
            field = forms.MultipleChoiceField(
                label=_("协办部门"), required=False, choices=department_choices, widget=forms.CheckboxSelectMultiple
            )
        elif name == "into":
            field = forms.CharField(label=_("并入案件编号"), max_length=20)
        elif name == "service":
            field = forms.ChoiceField(label=_("移交对象"), choices=TransferService.choices)
        elif name == "reference":
            field = forms.CharField(label=_("对方单号"), max_length=64, required=False)
        elif name in ("hours", "days"):
            field = forms.IntegerField(
                label=_("延长工作小时") if name == "hours" else _("延长工作日"), min_value=0, max_value=1000, initial=0
            )
        elif name == "rating":
            field = forms.ChoiceField(label=_("评价"), choices=Rating.choices, widget=forms.RadioSelect)
        elif name == "photos":
            field = PhotosField(label=_("现场照片") if action == "verify" else _("照片"))
        else:  # pragma: no cover - the table above names only these
            raise KeyError(name)
        form.fields[name] = field
    return form


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看理由"), max_length=200)


# ---- catalogue -------------------------------------------------------------------------------


class CategoryForm(forms.Form):
    code = forms.CharField(label=_("编码"), max_length=32)
    name = forms.CharField(label=_("名称"), max_length=100)
    parent = forms.CharField(label=_("上级编码"), max_length=32, required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=CategoryKind.choices, initial=CategoryKind.EVENT)
    department = forms.CharField(label=_("责任部门编码"), max_length=32, required=False)
    time_limit = forms.IntegerField(label=_("处置时限"), min_value=1, max_value=10000, initial=1)
    time_unit = forms.ChoiceField(label=_("时限单位"), choices=TimeUnit.choices, initial=TimeUnit.DAYS)
    closing_condition = forms.CharField(label=_("结案条件"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    sort_order = forms.IntegerField(label=_("排序"), min_value=0, initial=0, required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    auto_apply = forms.BooleanField(
        label=_("自动采用派单建议"),
        required=False,
        help_text=_("新案件的首选建议是本类别且置信度达到下面的值时，由系统直接受理并派遣"),
    )
    auto_apply_threshold = forms.FloatField(label=_("自动采用的最低置信度"), initial=0.9, required=False)


class AccessItemForm(forms.Form):
    code = forms.CharField(label=_("编号"), max_length=32)
    name = forms.CharField(label=_("事项名称"), max_length=200)
    kind = forms.ChoiceField(label=_("事项类型"), choices=AccessKind.choices)
    basis = forms.CharField(label=_("设立依据"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    category = forms.CharField(label=_("对应事项类别编码"), max_length=32, required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
