"""Forms only parse; the services check the rules and name the field at fault."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Category, Choice, Majority, Rating, VoterRule


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class MatterForm(forms.Form):
    place = forms.ChoiceField(label=_("议事范围"))
    title = forms.CharField(label=_("标题"), max_length=100)
    description = forms.CharField(label=_("事项描述"), widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label=_("位置（选填）"), max_length=200, required=False)
    on_behalf_of = forms.CharField(label=_("代居民提出（居民姓名，选填）"), max_length=50, required=False)
    photos = MultipleFileField(label=_("照片（选填，最多9张）"), required=False)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, places=(), staff=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", _("请选择"))] + list(places)
        if not staff:
            del self.fields["on_behalf_of"]


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("会议名称"), max_length=100)
    place = forms.ChoiceField(label=_("议事层级和范围"))
    starts_at = forms.DateTimeField(
        label=_("召开时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    venue = forms.CharField(label=_("地点"), max_length=100, required=False)
    voter_rule = forms.ChoiceField(label=_("表决资格"), choices=VoterRule.choices)
    quorum_percent = forms.IntegerField(label=_("参与率下限（%）"), initial=50)
    majority = forms.ChoiceField(label=_("通过规则"), choices=Majority.choices)

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", _("请选择"))] + list(places)


class ParticipantForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    name = forms.CharField(label=_("姓名或单位"), max_length=100, required=False)
    username = forms.CharField(label=_("账号（居民代表必填）"), max_length=150, required=False)


class BallotForm(forms.Form):
    choice = forms.ChoiceField(label=_("您的意见"), choices=Choice.choices, widget=forms.RadioSelect)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("任务内容"), max_length=200)
    owner_name = forms.CharField(label=_("责任人或单位"), max_length=100, required=False)
    owner_username = forms.CharField(label=_("责任人账号（选填）"), max_length=150, required=False)
    deadline = forms.DateField(label=_("完成期限"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    as_case = forms.BooleanField(label=_("作为案件派往案件系统办理"), required=False)


class EvaluationForm(forms.Form):
    rating = forms.ChoiceField(label=_("评价"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("意见（选填）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class StatsForm(forms.Form):
    region = forms.ChoiceField(label=_("区域"), required=False)
    start = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.key, f"{r.get_level_display()} · {r.name}") for r in regions]

    def clean(self):
        # statistics run from 2000 to a year ahead: further out the period arithmetic leaves the calendar
        data = super().clean()
        low, high = datetime.date(2000, 1, 1), timezone.localdate() + datetime.timedelta(days=366)
        for field in ("start", "end"):
            value = data.get(field)
            if value is not None and not low <= value <= high:
                self.add_error(field, _("日期应在2000年1月1日到明年之间"))
        return data
