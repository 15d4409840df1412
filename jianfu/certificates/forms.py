"""The forms of the certificate pages. They check the shape of what was typed; the services
decide (the lists, the state, who may approve), and their refusals land on the same forms."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jianfu.certificates.models import RefusalGround, RequestState
from jianfu.certificates.services import DECIDED_GROUNDS
from jianfu.core.errors import InvalidInput
from jianfu.core.id_numbers import id_number_clean
from jianfu.org.models import Region, User

PLEDGE = _(
    "申请人承诺：本人所提供的信息和材料真实、准确、完整，如有虚假，愿意承担由此产生的一切法律责任。"
)


class IdNumberInput(forms.TextInput):
    """A box for an ID number that never writes what was typed back into the page: a form
    shown again after an error asks for the number again instead of repeating it."""

    def format_value(self, value):
        return None


class Form(forms.Form):
    """A form of these pages: labels without the English colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _id_number_field(label, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        max_length=40,
        help_text=help_text,
        widget=IdNumberInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def _clean_id_number(raw: str) -> str:
    if not (raw or "").strip():
        return ""
    try:
        return id_number_clean(raw)
    except InvalidInput as error:
        # The message names what is wrong, never the number.
        raise ValidationError(str(error.message), code=error.code) from error


def _text(label, *, max_length: int | None = None, rows: int = 0, required: bool = False):
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput()
    return forms.CharField(
        label=label, max_length=max_length, required=required, strip=True, widget=widget
    )


def _choice_label(user: User) -> str:
    name = user.display_name or user.get_full_name()
    return f"{name}（{user.username}）" if name else user.username


class MaterialsField(forms.MultipleChoiceField):
    """The chosen type's required materials as checkboxes. A material of a type chosen before
    (the officer changed the type) is dropped rather than refused: it is no longer asked for."""

    widget = forms.CheckboxSelectMultiple

    def clean(self, value):
        return [v for v in self.to_python(value) if self.valid_value(v)]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return _choice_label(obj)


# The list's filters ------------------------------------------------------------------------------


class RequestFilterForm(Form):
    state = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *RequestState.choices]
    )
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int, empty_value=None)
    type_name = forms.ChoiceField(label=_("证明事项"), required=False)
    community = forms.ChoiceField(label=_("社区"), required=False)
    q = forms.CharField(label=_("申请人或索要单位"), required=False, max_length=100)

    def __init__(self, *args, years: Sequence[int], types: Sequence[str], communities, **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [("", _("全部"))] + [
            (year, str(year))
            for year in sorted({*range(this_year - 5, this_year + 1), *years}, reverse=True)
        ]
        self.fields["type_name"].choices = [("", _("全部"))] + [(n, n) for n in types]
        if len(communities) > 1:
            self.fields["community"].choices = [("", _("全部"))] + [
                (c.code, c.name) for c in communities
            ]
        else:
            del self.fields["community"]


class IdSearchForm(Form):
    """Find the requests of one resident by ID number; the number is turned into its lookup
    index at once and goes no further."""

    id_number = _id_number_field(_("公民身份号码"))

    def clean_id_number(self) -> str:
        value = _clean_id_number(self.cleaned_data["id_number"])
        if not value:
            raise ValidationError(_("请输入要查找的公民身份号码。"), code="required")
        return value


# Taking a request ------------------------------------------------------------------------------


class RequestFieldsMixin:
    """The resident's, the asking body's and the materials' fields a request shares with its
    correction; `materials` are the chosen type's required materials."""

    def _materials_field(self, materials: Sequence[str]) -> None:
        field = self.fields["materials"]
        field.choices = [(m, m) for m in materials]
        # A material checked earlier that the type no longer requires stays listed, checked.
        for value in self.initial.get("materials") or ():
            if value not in materials:
                field.choices.append((value, value))


class RequestForm(RequestFieldsMixin, Form):
    type_key = forms.ChoiceField(label=_("证明事项（本社区可出具清单）"), required=False)
    type_name = _text(_("或：居民要求出具的证明名称"), max_length=300)
    resident_name = _text(_("申请人姓名"), max_length=50)
    id_number = _id_number_field(
        _("公民身份号码"), _("18位，核验后只显示前6位和后4位。不予出具的事项可以不填。")
    )
    resident_phone = _text(_("联系电话"), max_length=20)
    asking_body = _text(_("索要证明单位"), max_length=200)
    asking_clause = _text(_("索要单位援引的依据条款"), max_length=300)
    asking_clause_text = _text(_("条款内容"), rows=3)
    purpose = _text(_("证明用途"), rows=2)
    materials = MaterialsField(label=_("已核验的材料"), required=False)
    pledged = forms.BooleanField(label=PLEDGE, required=False)

    def __init__(self, *args, types: Sequence, materials: Sequence[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type_key"].choices = [("", _("— 请选择 —"))] + [
            (str(item.key), item.name) for item, _settings in types
        ]
        self.fields["type_name"].widget.attrs["placeholder"] = _("例如：无犯罪记录证明")
        self._materials_field(materials)

    def clean_id_number(self) -> str:
        return _clean_id_number(self.cleaned_data["id_number"])

    def clean(self):
        data = super().clean()
        if not data.get("type_key") and not data.get("type_name"):
            raise ValidationError(_("请选择或填写申请出具的证明事项。"), code="type_missing")
        return data


class RequestEditForm(RequestFieldsMixin, Form):
    resident_name = _text(_("申请人姓名"), max_length=50, required=True)
    id_number = _id_number_field(_("重新登记公民身份号码"), _("留空则不修改。"))
    resident_phone = _text(_("联系电话"), max_length=20)
    asking_body = _text(_("索要证明单位"), max_length=200)
    asking_clause = _text(_("索要单位援引的依据条款"), max_length=300)
    asking_clause_text = _text(_("条款内容"), rows=3)
    purpose = _text(_("证明用途"), rows=2)
    materials = MaterialsField(label=_("已核验的材料"), required=False)
    pledged = forms.BooleanField(label=PLEDGE, required=False)

    def __init__(self, *args, materials: Sequence[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self._materials_field(materials)

    def clean_id_number(self) -> str:
        return _clean_id_number(self.cleaned_data["id_number"])

    def values(self) -> dict:
        """The service's keyword arguments."""
        data = self.cleaned_data
        values = {
            name: data[name]
            for name in (
                "resident_name",
                "resident_phone",
                "asking_body",
                "asking_clause",
                "asking_clause_text",
                "purpose",
                "pledged",
            )
        }
        values["materials_checked"] = data["materials"]
        return values


# Deciding ----------------------------------------------------------------------------------------


class IssueForm(Form):
    statement = _text(_("证明内容"), rows=7, required=True)
    approver = UserChoiceField(label=_("用印审批人"), queryset=User.objects.none())
    copies = forms.IntegerField(label=_("份数"), min_value=1, max_value=20, initial=1)

    def __init__(self, *args, approvers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approver"].queryset = approvers
        self.fields["approver"].help_text = _("本社区的另一名工作人员，审批加盖社区印章。")


class RefuseForm(Form):
    ground = forms.ChoiceField(
        label=_("不予出具理由"),
        choices=[(g, RefusalGround(g).label) for g in DECIDED_GROUNDS],
        widget=forms.RadioSelect,
    )
    note = _text(_("补充说明"), rows=2, max_length=2000)


class RevealForm(Form):
    reason = _text(_("查看理由"), max_length=300, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["placeholder"] = _("例如：申请人补办材料，需核对号码")


class RevokeForm(Form):
    reason = _text(_("撤销理由"), rows=2, max_length=2000, required=True)


# The seal and the types --------------------------------------------------------------------------


class SealUseForm(Form):
    content = _text(_("用印事由"), rows=2, max_length=500, required=True)
    copies = forms.IntegerField(label=_("份数"), min_value=1, max_value=500, initial=1)
    approver = UserChoiceField(label=_("审批人"), queryset=User.objects.none())
    requester_name = _text(_("申请人"), max_length=100, required=True)
    requester_phone = _text(_("联系电话"), max_length=20)

    def __init__(self, *args, approvers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["approver"].queryset = approvers


class CertificateTypeForm(Form):
    use = _text(_("证明用途"), rows=3, max_length=2000)
    materials = forms.CharField(
        label=_("所需材料"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每行一项，例如：申请人身份证、户口簿。"),
    )
    template = forms.CharField(
        label=_("证明正文模板"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "可使用占位符：{name} 申请人姓名、{id_number} 公民身份号码（隐去中间8位）、"
            "{purpose} 证明用途、{asking_body} 索要证明单位、{community} 社区名称。"
        ),
    )
    valid_days = forms.IntegerField(label=_("有效期（天）"), min_value=1, max_value=3650)

    def materials_list(self) -> list[str]:
        return [
            line.strip() for line in self.cleaned_data["materials"].splitlines() if line.strip()
        ]


class YearForm(Form):
    """A year (this one by default) and, for whoever reads several, a community."""

    year = forms.TypedChoiceField(label=_("年度"), coerce=int, required=False)
    community = forms.ChoiceField(label=_("社区"), required=False)

    def __init__(self, *args, communities: Sequence[Region] = (), **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(y, str(y)) for y in range(this_year, this_year - 6, -1)]
        if len(communities) > 1:
            self.fields["community"].choices = [("", _("全部"))] + [
                (c.code, c.name) for c in communities
            ]
        else:
            del self.fields["community"]

    def chosen_year(self) -> int:
        value = self.cleaned_data.get("year") if self.is_valid() else None
        return value or timezone.localdate().year

    def chosen_community(self) -> str:
        return (self.cleaned_data.get("community") or "") if self.is_valid() else ""
