from django import forms
from django.utils.translation import gettext_lazy as _

from jianfu.catalog.models import EDITABLE_FIELDS, ListKind, ListLevel, PowerType

DATE = forms.DateInput(attrs={"type": "date"})


class ListCreateForm(forms.Form):
    name = forms.CharField(label=_("清单名称"), max_length=200)
    kind = forms.ChoiceField(label=_("清单类别"), choices=ListKind.choices)
    level = forms.ChoiceField(label=_("层级"), choices=ListLevel.choices)
    region = forms.ChoiceField(label=_("所属区划"))
    code = forms.CharField(
        label=_("清单编号"), max_length=60, required=False, help_text=_("留空则自动生成")
    )
    code_pattern = forms.CharField(
        label=_("本地编码规则"),
        max_length=200,
        required=False,
        help_text=_("正则表达式，如 SZQ-ZZ-\\d{3}；国家实施编码总是可用"),
    )
    first_label = forms.CharField(label=_("首个版本"), max_length=40, required=False)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, f"{r.name}（{r.code}）") for r in regions]


class VersionStartForm(forms.Form):
    label = forms.CharField(label=_("新版本名称"), max_length=40)


class PublishForm(forms.Form):
    document_number = forms.CharField(label=_("批准文号"), max_length=100)
    valid_from = forms.DateField(label=_("施行日期"), widget=DATE)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("调整理由"), widget=forms.Textarea(attrs={"rows": 2}))


class ItemForm(ReasonForm):
    code = forms.CharField(label=_("事项编码"), max_length=80, required=False)
    name = forms.CharField(label=_("事项名称"), max_length=300)
    category = forms.CharField(label=_("类别"), max_length=40, required=False)
    power_type = forms.ChoiceField(
        label=_("事项类型"), choices=[("", "—"), *PowerType.choices], required=False
    )
    legal_law = forms.CharField(label=_("法律法规"), max_length=200, required=False)
    legal_article = forms.CharField(label=_("条款"), max_length=100, required=False)
    legal_text = forms.CharField(
        label=_("依据原文"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    department = forms.CharField(label=_("责任部门"), max_length=100, required=False)
    remarks = forms.CharField(label=_("备注"), required=False)

    field_order = [*EDITABLE_FIELDS, "reason"]

    def values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


class SplitForm(ReasonForm):
    parts = forms.CharField(
        label=_("拆分后的事项名称"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个，至少两行"),
    )

    def part_names(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["parts"].splitlines() if line.strip()]


class MoveForm(ReasonForm):
    to_list = forms.ChoiceField(label=_("移至清单"))

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_list"].choices = [(str(t.pk), t.name) for t in targets]


class MergeForm(ReasonForm):
    # The items to merge are the ticked rows ("pick"), read beside the form.
    target = forms.CharField()


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("XLSX 或 CSV 文件"))
