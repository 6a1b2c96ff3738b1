from django import forms
from django.utils.translation import gettext_lazy as _


class DaySetForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    is_working = forms.TypedChoiceField(
        label=_("类型"),
        choices=[("0", _("放假")), ("1", _("调休上班"))],
        coerce=lambda value: value == "1",
    )
    name = forms.CharField(label=_("名称"), max_length=50, help_text=_("例如“国庆节”“国庆节调休上班”"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("文件（.xlsx 或 .csv）"))
    replace = forms.BooleanField(
        label=_("替换文件所含年份中未列出的登记"),
        required=False,
        help_text=_("用于重新导入更正后的全年安排"),
    )
