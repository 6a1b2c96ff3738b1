from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))


class ExportForm(forms.Form):
    region = forms.CharField(label=_("区域代码"), max_length=17, required=False, help_text=_("不填则导出整个管辖范围"))
    reveal = forms.BooleanField(label=_("导出完整的身份证号和手机号"), required=False)
    reason = forms.CharField(label=_("理由（完整导出时必填，记入审计日志）"), max_length=200, required=False)
