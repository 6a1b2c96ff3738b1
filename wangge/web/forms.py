from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.accounts.roles import Role


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    display_name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("手机号"), max_length=11, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    region_code = forms.CharField(
        label=_("管辖区域代码"),
        max_length=17,
        required=False,
        help_text=_("区、街道、社区或网格的代码；部门承办人留空"),
    )
    department_code = forms.CharField(
        label=_("所属部门代码"), max_length=32, required=False, help_text=_("仅部门承办人填写")
    )
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, min_length=8)


class UserEditForm(forms.Form):
    display_name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("手机号"), max_length=11, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    region_code = forms.CharField(label=_("管辖区域代码"), max_length=17, required=False)
    department_code = forms.CharField(label=_("所属部门代码"), max_length=32, required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False)


class AuditFilterForm(forms.Form):
    target_type = forms.CharField(label=_("对象类型"), required=False)
    target_id = forms.CharField(label=_("对象编号"), required=False)
    actor = forms.CharField(label=_("操作人"), required=False)
    verb = forms.CharField(label=_("操作"), required=False)
