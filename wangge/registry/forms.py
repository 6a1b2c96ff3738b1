"""Forms of the ledger pages. They only parse; every rule is in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.regions.models import HouseUse

from .models import CareGroup, CareLevel, ProblemCategory, ResidenceKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # what <input type=date> accepts
STATUS_CHOICES = [("present", _("现住")), ("departed", _("已迁出")), ("all", _("全部"))]


class ResidentSearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), max_length=50, required=False)
    match = forms.ChoiceField(
        label=_("姓名匹配"), choices=[("prefix", _("开头")), ("contains", _("包含"))], required=False
    )
    region = forms.CharField(label=_("区域代码"), max_length=17, required=False)
    address = forms.CharField(label=_("小区/地址"), max_length=50, required=False)
    kind = forms.ChoiceField(label=_("人口类别"), choices=[("", _("全部"))] + ResidenceKind.choices, required=False)
    status = forms.ChoiceField(label=_("状态"), choices=[("", _("默认"))] + STATUS_CHOICES, required=False)


class ResidentCreateForm(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=18)
    phone = forms.CharField(label=_("手机号"), max_length=11, required=False)
    kind = forms.ChoiceField(label=_("人口类别"), choices=ResidenceKind.choices)
    moved_in = forms.DateField(label=_("入住日期"), required=False, widget=DATE)
    origin = forms.CharField(label=_("户籍地"), max_length=100, required=False, help_text=_("流动人口填写"))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class ResidentEditForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("更正身份证号"), max_length=18, required=False, help_text=_("留空则不修改"))
    phone = forms.CharField(label=_("新手机号"), max_length=11, required=False, help_text=_("留空则不修改"))
    clear_phone = forms.BooleanField(label=_("清除手机号"), required=False)
    kind = forms.ChoiceField(label=_("人口类别"), choices=ResidenceKind.choices)
    origin = forms.CharField(label=_("户籍地"), max_length=100, required=False)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class MoveForm(forms.Form):
    household = forms.IntegerField(label=_("迁往房屋"), widget=forms.HiddenInput, required=False)
    on = forms.DateField(label=_("迁移日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class MoveInByIdForm(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput, required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=18)
    on = forms.DateField(label=_("迁入日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class DepartForm(forms.Form):
    on = forms.DateField(label=_("迁出日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), max_length=200, required=False, help_text=_("如：迁往外地、去世"))


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看原因"), max_length=200)


class HouseForm(forms.Form):
    use = forms.ChoiceField(label=_("房屋用途"), choices=HouseUse.choices, required=False)
    area_m2 = forms.DecimalField(label=_("建筑面积（平方米）"), required=False, max_digits=8, decimal_places=1)
    owner_name = forms.CharField(label=_("产权人/房东"), max_length=50, required=False)
    owner_phone = forms.CharField(
        label=_("产权人/房东新电话"), max_length=11, required=False, help_text=_("留空则不修改")
    )
    clear_owner_phone = forms.BooleanField(label=_("清除电话"), required=False)

    def changes(self) -> dict:
        data = self.cleaned_data
        changes = {"use": data["use"] or "", "area_m2": data["area_m2"], "owner_name": data["owner_name"]}
        if data["clear_owner_phone"]:
            changes["owner_phone"] = ""
        elif data["owner_phone"]:
            changes["owner_phone"] = data["owner_phone"]
        return changes


class BuildingForm(forms.Form):
    name = forms.CharField(label=_("楼栋名称"), max_length=50, help_text=_("如“1栋”，同一小区内不能重名"))
    floors = forms.IntegerField(label=_("层数"), min_value=1, max_value=200, initial=1)
    units = forms.IntegerField(label=_("单元数"), min_value=1, max_value=99, initial=1)


class HouseholdForm(forms.Form):
    unit = forms.IntegerField(label=_("单元"), min_value=1, max_value=99, initial=1)
    room = forms.CharField(label=_("房号"), max_length=10, help_text=_("如“101”"))
    use = forms.ChoiceField(label=_("房屋用途"), choices=HouseUse.choices, required=False)
    area_m2 = forms.DecimalField(label=_("建筑面积（平方米）"), required=False, max_digits=8, decimal_places=1)
    owner_name = forms.CharField(label=_("产权人/房东"), max_length=50, required=False)
    owner_phone = forms.CharField(label=_("产权人/房东电话"), max_length=11, required=False)


class CareForm(forms.Form):
    group = forms.ChoiceField(label=_("关爱类别"), choices=CareGroup.choices)
    level = forms.TypedChoiceField(label=_("关爱等级"), choices=CareLevel.choices, coerce=int)
    visit_every_days = forms.IntegerField(label=_("走访周期（天）"), min_value=1, max_value=365, initial=30)
    responsible = forms.ChoiceField(label=_("责任网格员"))
    plan = forms.CharField(label=_("帮扶计划"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, candidates=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].choices = [("", "—")] + [
            (u.username, f"{u.display_name or u.username}（{u.get_role_display()}）") for u in candidates
        ]
        if editing:
            del self.fields["group"]


class CareEndForm(forms.Form):
    on = forms.DateField(label=_("结束日期"), widget=DATE)
    reason = forms.CharField(label=_("结束原因"), max_length=200)


NEWCOMER_SLOTS = 2


class VisitForm(forms.Form):
    """The door-knock form. Resident and care fields are built for the household visited."""

    visited_on = forms.DateField(label=_("走访日期"), widget=DATE)
    met = forms.MultipleChoiceField(label=_("见到的居民"), required=False, widget=forms.CheckboxSelectMultiple)
    met_others = forms.CharField(label=_("见到的其他人"), max_length=200, required=False)
    notes = forms.CharField(label=_("走访情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    use = forms.ChoiceField(label=_("房屋用途"), choices=HouseUse.choices, required=False)
    area_m2 = forms.DecimalField(label=_("建筑面积（平方米）"), required=False, max_digits=8, decimal_places=1)
    owner_name = forms.CharField(label=_("产权人/房东"), max_length=50, required=False)
    owner_phone = forms.CharField(label=_("产权人/房东新电话"), max_length=11, required=False)
    departed = forms.MultipleChoiceField(label=_("已搬离的居民"), required=False, widget=forms.CheckboxSelectMultiple)
    problem_text = forms.CharField(label=_("发现的问题"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    problem_category = forms.ChoiceField(
        label=_("问题类别"), choices=[("", "—")] + ProblemCategory.choices, required=False
    )

    def __init__(self, *args, residents=(), care_records=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(r.pk), f"{r.name}（{r.id_masked}）") for r in residents]
        self.fields["met"].choices = choices
        self.fields["departed"].choices = choices
        self.care_records = list(care_records)
        for record in self.care_records:
            self.fields[f"care_{record.pk}_done"] = forms.BooleanField(
                label=_("已走访 %(name)s（%(group)s）")
                % {"name": record.resident.name, "group": record.get_group_display()},
                required=False,
            )
            self.fields[f"care_{record.pk}"] = forms.CharField(
                label=_("关爱情况"), required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
        for slot in range(NEWCOMER_SLOTS):
            self.fields[f"nc{slot}_name"] = forms.CharField(label=_("新住户姓名"), max_length=50, required=False)
            self.fields[f"nc{slot}_id_number"] = forms.CharField(label=_("身份证号"), max_length=18, required=False)
            self.fields[f"nc{slot}_phone"] = forms.CharField(label=_("手机号"), max_length=11, required=False)
            self.fields[f"nc{slot}_kind"] = forms.ChoiceField(label=_("人口类别"), choices=ResidenceKind.choices)

    def care_fields(self):
        return [(self[f"care_{r.pk}_done"], self[f"care_{r.pk}"]) for r in self.care_records]

    def newcomer_fields(self):
        return [
            [self[f"nc{slot}_{name}"] for name in ("name", "id_number", "phone", "kind")]
            for slot in range(NEWCOMER_SLOTS)
        ]

    def newcomers(self) -> tuple[list[dict], list[int]]:
        """Filled newcomer rows, and which slot each came from (to put errors back)."""
        rows, slots = [], []
        for slot in range(NEWCOMER_SLOTS):
            name = self.cleaned_data[f"nc{slot}_name"]
            number = self.cleaned_data[f"nc{slot}_id_number"]
            if name or number:
                rows.append(
                    {
                        "name": name,
                        "id_number": number,
                        "phone": self.cleaned_data[f"nc{slot}_phone"],
                        "kind": self.cleaned_data[f"nc{slot}_kind"],
                    }
                )
                slots.append(slot)
        return rows, slots

    def house_changes(self, household) -> dict:
        """Only what the visitor changed, so an untouched field is not rewritten."""
        data, changes = self.cleaned_data, {}
        if data["use"] != household.use:
            changes["use"] = data["use"]
        if data["area_m2"] != household.area_m2:
            changes["area_m2"] = data["area_m2"]
        if data["owner_name"] != household.owner_name:
            changes["owner_name"] = data["owner_name"]
        if data["owner_phone"]:
            changes["owner_phone"] = data["owner_phone"]
        return changes
