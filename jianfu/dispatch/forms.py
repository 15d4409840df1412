"""Input validation for the dispatch pages; every write goes through dispatch.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jianfu.dispatch.models import DeliveryStatus, OutputKind, RecipientLevel, TaskStatus
from jianfu.org.models import Region

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NOTE_MAX = 2000


def rows(n: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


class Form(forms.Form):
    """A form whose labels carry no colon: the layout already sets them apart."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _parsed(form: forms.Form) -> dict[str, Any]:
    """The fields that parsed: one bad filter value does not drop the others."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return {name: form.cleaned_data.get(name) for name in form.fields}


# Filters ----------------------------------------------------------------------------------------


class TaskFilterForm(Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *TaskStatus.choices]
    )
    unadmitted = forms.BooleanField(label=_("只看有未准入接收单位的任务"), required=False)
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=9999)

    def filters(self) -> dict[str, Any]:
        data = _parsed(self)
        return {
            "status": data.get("status") or "",
            "unadmitted": bool(data.get("unadmitted")),
            "year": data.get("year"),
        }


ADMITTED_CHOICES = [("", _("全部")), ("yes", _("已准入")), ("no", _("未准入"))]


class InboxFilterForm(Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *DeliveryStatus.choices]
    )
    admitted = forms.ChoiceField(label=_("准入"), required=False, choices=ADMITTED_CHOICES)
    task = forms.IntegerField(label=_("任务"), required=False, min_value=1)

    def filters(self) -> dict[str, Any]:
        data = _parsed(self)
        admitted = {"yes": True, "no": False}.get(data.get("admitted") or "")
        return {"status": data.get("status") or "", "admitted": admitted, "task": data.get("task")}


# The dispatch form --------------------------------------------------------------------------------


BASIS_CHOICES = [
    ("admission", _("准入编号")),
    ("duty", _("社区依法履行职责事项")),
    ("none", _("无（将标记为未准入）")),
]
OUTPUT_FIELDS = {
    OutputKind.FORM: "outputs_form",
    OutputKind.LEDGER: "outputs_ledger",
    OutputKind.REPORT: "outputs_report",
}


def _names(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class TaskForm(Form):
    """A task, its basis and its recipients, as task_dispatch takes them."""

    title = forms.CharField(label=_("任务名称"), max_length=200)
    content = forms.CharField(label=_("任务内容"), widget=rows(5))
    deadline = forms.DateField(label=_("完成时限"), widget=DATE)
    outputs_form = forms.CharField(
        label=OutputKind.FORM.label,
        required=False,
        widget=rows(3),
        help_text=_("每行一项名称，如“高龄津贴申领汇总表”"),
    )
    outputs_ledger = forms.CharField(
        label=OutputKind.LEDGER.label,
        required=False,
        widget=rows(3),
        help_text=_("每行一项名称"),
    )
    outputs_report = forms.CharField(
        label=OutputKind.REPORT.label,
        required=False,
        widget=rows(3),
        help_text=_("每行一项名称"),
    )
    basis = forms.ChoiceField(
        label=_("派发依据"), choices=BASIS_CHOICES, initial="admission", widget=forms.RadioSelect
    )
    admission_pick = forms.ChoiceField(label=_("本部门有效的准入事项"), required=False)
    admission_number = forms.CharField(
        label=_("或填写准入编号"),
        required=False,
        max_length=60,
        help_text=_("不在上面列表中的编号也可填写，到达时将核对并如实标记"),
    )
    duty_item = forms.ChoiceField(label=_("职责事项"), required=False)
    level = forms.ChoiceField(
        label=_("接收层级"),
        choices=RecipientLevel.choices,
        initial=RecipientLevel.COMMUNITY,
        widget=forms.RadioSelect,
    )
    recipients = forms.MultipleChoiceField(
        label=_("接收单位"), required=False, widget=forms.CheckboxSelectMultiple
    )
    recipient_codes = forms.CharField(
        label=_("其他区划代码"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "511002001001"}),
        help_text=_("可选：每行或以逗号分隔一个 12 位区划代码"),
    )

    def __init__(
        self,
        *args: Any,
        admissions: list[tuple[str, str]],
        duty_items: list[tuple[str, list[tuple[str, str]]]],
        regions: list[Region],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["deadline"].widget.attrs["min"] = timezone.localdate().isoformat()
        self.fields["admission_pick"].choices = [("", _("（请选择）")), *admissions]
        self.fields["duty_item"].choices = [("", _("（请选择）")), *duty_items]
        self.fields["recipients"].choices = [(r.code, r.name) for r in regions]

    def picked(self) -> set[str]:
        if self.is_bound:
            return set(self.data.getlist(self.add_prefix("recipients")))
        return set(self.initial.get("recipients") or ())

    def clean_recipient_codes(self) -> list[str]:
        text = self.cleaned_data["recipient_codes"].replace("，", ",").replace(",", "\n")
        return _names(text)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        basis = data.get("basis")
        if basis == "admission":
            picked = data.get("admission_pick") or ""
            typed = (data.get("admission_number") or "").strip()
            if picked and typed and picked != typed:
                self.add_error("admission_number", _("请只选择或只填写一个准入编号。"))
            elif not (picked or typed):
                self.add_error("admission_pick", _("请选择或填写准入编号。"))
            data["cited_number"] = typed or picked
        elif basis == "duty" and not data.get("duty_item"):
            self.add_error("duty_item", _("请选择职责事项。"))
        if not data.get("recipients") and not data.get("recipient_codes"):
            self.add_error("recipients", _("请选择接收的街道或社区。"))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        """The arguments of services.task_dispatch."""
        data = self.cleaned_data
        outputs = [
            {"kind": kind.value, "name": name}
            for kind, field in OUTPUT_FIELDS.items()
            for name in _names(data.get(field) or "")
        ]
        basis = data["basis"]
        return {
            "values": {
                "title": data["title"],
                "content": data["content"],
                "deadline": data["deadline"],
                "outputs": outputs,
            },
            "recipients": [*data["recipients"], *data["recipient_codes"]],
            "level": data["level"],
            "admission_number": data.get("cited_number", "") if basis == "admission" else "",
            "duty_item": data.get("duty_item") or "" if basis == "duty" else "",
        }


# Answers ----------------------------------------------------------------------------------------


class CancelForm(Form):
    reason = forms.CharField(label=_("撤回理由"), widget=rows(2), max_length=NOTE_MAX)


class AcceptForm(Form):
    pass


class RefuseForm(Form):
    reason = forms.CharField(
        label=_("拒绝理由"), required=False, widget=rows(3), max_length=NOTE_MAX
    )


class ProgressForm(Form):
    percent = forms.IntegerField(
        label=_("进度（%）"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
    )
    note = forms.CharField(label=_("进展情况"), widget=rows(2), max_length=NOTE_MAX)


class CompleteForm(Form):
    note = forms.CharField(
        label=_("完成情况（可选）"), required=False, widget=rows(2), max_length=NOTE_MAX
    )


class UpholdForm(Form):
    note = forms.CharField(
        label=_("审核意见（可选）"), required=False, widget=rows(2), max_length=NOTE_MAX
    )


class OverruleForm(Form):
    note = forms.CharField(label=_("不同意的理由"), widget=rows(2), max_length=NOTE_MAX)


# action → the form that carries its input
ACTION_FORMS: dict[str, type[Form]] = {
    "accept": AcceptForm,
    "refuse": RefuseForm,
    "progress": ProgressForm,
    "complete": CompleteForm,
    "uphold_refusal": UpholdForm,
    "overrule_refusal": OverruleForm,
}

ACTION_LABELS = {
    "accept": _("接收任务"),
    "refuse": pgettext_lazy("action", "拒绝"),
    "progress": _("报告进度"),
    "complete": _("办结"),
    "uphold_refusal": _("同意拒绝"),
    "overrule_refusal": _("不同意拒绝"),
    "cancel": _("撤回"),
    "recheck": _("重新核对准入"),
}


def action_arguments(action: str, form: forms.Form) -> dict[str, Any]:
    """The keyword arguments of services.delivery_act a valid action form amounts to."""
    data = form.cleaned_data
    if action == "refuse":
        return {"reason": data.get("reason", "")}
    if action == "progress":
        return {"percent": data["percent"], "note": data["note"]}
    return {"note": data.get("note", "")}
