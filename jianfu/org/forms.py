from django import forms
from django.utils.translation import gettext_lazy as _

from jianfu.org.models import RegionLevel, UnitType
from jianfu.org.roles import ADMIN_ROLES, Role

BUSINESS_ROLES = [(r.value, r.label) for r in Role if r not in ADMIN_ROLES]


class RegionCreateForm(forms.Form):
    code = forms.RegexField(
        label=_("区划代码"),
        regex=r"^\d{12}$",
        error_messages={"invalid": _("区划代码须为 12 位数字。")},
    )
    name = forms.CharField(label=_("名称"), max_length=100)
    level = forms.ChoiceField(label=_("层级"), choices=RegionLevel.choices)
    valid_from = forms.DateField(
        label=_("生效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class RegionEditForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    valid_from = forms.DateField(
        label=_("生效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("失效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("文件（XLSX 或 CSV）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("仅支持 XLSX 或 CSV 文件。"))
        return upload


class UnitForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    type = forms.ChoiceField(
        label=_("类型"), choices=[c for c in UnitType.choices if c[0] != UnitType.PLATFORM]
    )
    region = forms.RegexField(
        label=_("所在区划代码"),
        regex=r"^\d{12}$",
        error_messages={"invalid": _("区划代码须为 12 位数字。")},
    )


class UnitEditForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    type = forms.ChoiceField(label=_("类型"), choices=UnitType.choices)
    is_active = forms.BooleanField(label=_("启用"), required=False)


class AccountForm(forms.Form):
    display_name = forms.CharField(label=_("姓名"), max_length=50)
    unit = forms.TypedChoiceField(label=_("所在单位"), coerce=int)
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=BUSINESS_ROLES, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.pk, f"{u.name}（{u.region_id or '—'}）") for u in units]


class AccountCreateForm(AccountForm):
    username = forms.CharField(label=_("账号"), max_length=150)
    password = forms.CharField(
        label=_("初始密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    field_order = ["username", "display_name", "unit", "roles", "password"]


class AccountEditForm(AccountForm):
    is_active = forms.BooleanField(label=_("启用"), required=False)


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label=_("新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
