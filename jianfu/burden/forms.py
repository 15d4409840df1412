"""Input of the burden pages; every write goes through jianfu.burden.services, which checks
what the forms cannot (an admission covering the community, a basis item in force, a
successor of the same kind)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jianfu.burden.models import ENDED_STATUSES, EntryKind, EntryStatus, InventoryEntry
from jianfu.core.errors import InvalidInput
from jianfu.core.money import parse_yuan

CAP_MAX = 100
FIGURE_MAX = 10_000_000
YES = "1"


class Form(forms.Form):
    """A form whose labels carry no colon: the layout already sets them apart."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def date_field(label: Any, **kwargs: Any) -> forms.DateField:
    # A date input sends and shows ISO dates, whatever the language's own date format.
    return forms.DateField(
        label=label,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


def _not_future(day: dt.date | None, message: Any) -> dt.date | None:
    if day is not None and day > timezone.localdate():
        raise forms.ValidationError(message)
    return day


# Inventory entries ------------------------------------------------------------------------------


class EntryForm(Form):
    """One signboard, ledger, campaign or system: what it is, who asks for it, and what allows
    it (an admission, or an item of a published list; neither means it is unadmitted)."""

    name = forms.CharField(label=_("名称"), max_length=200)
    department_name = forms.CharField(
        label=_("主管部门"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "departments"}),
    )
    admission_number = forms.CharField(
        label=_("准入编号"),
        max_length=60,
        required=False,
        help_text=_("经准入的，填写准入编号"),
        widget=forms.TextInput(attrs={"list": "admission-numbers"}),
    )
    basis_item_key = forms.ChoiceField(
        label=_("依据清单事项"),
        required=False,
        help_text=_(
            "挂牌清单、职责清单或协助清单中的事项；既无准入编号也无清单依据的，标为未经准入"
        ),
    )
    quantity = forms.IntegerField(
        label=_("数量（本）"), min_value=1, max_value=10_000, initial=1, required=False
    )
    medium = forms.ChoiceField(
        label=_("台账形式"),
        choices=[("paper", _("纸质")), ("electronic", _("电子"))],
        initial="paper",
    )
    year = forms.IntegerField(label=_("台账年度"), min_value=1990, max_value=2100, required=False)
    one_vote_veto = forms.BooleanField(label=_("设有“一票否决”"), required=False)
    since = date_field(_("设立日期"))
    notes = forms.CharField(
        label=_("备注"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    # The fields only some kinds have.
    KIND_FIELDS = {
        EntryKind.LEDGER: ("quantity", "medium", "year"),
        EntryKind.CAMPAIGN: ("one_vote_veto",),
    }

    def __init__(
        self,
        *args: Any,
        kind: str,
        basis_choices: list[tuple[str, list[tuple[str, str]]]],
        entry: InventoryEntry | None = None,
        **kwargs: Any,
    ):
        if entry is not None:
            kwargs.setdefault("initial", self.initial_of(entry))
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.entry = entry
        choices: list[Any] = [("", _("（无）"))]
        choices += [(group, options) for group, options in basis_choices if options]
        # An entry keeps the item it was allowed by even after its list moved on.
        if entry is not None and entry.basis_item_key:
            known = {key for _group, options in basis_choices for key, _label in options}
            if str(entry.basis_item_key) not in known:
                choices.append((str(entry.basis_item_key), entry.basis_item_name))
        self.fields["basis_item_key"].choices = choices
        for other, names in self.KIND_FIELDS.items():
            if other != kind:
                for name in names:
                    del self.fields[name]
        if entry is not None:
            # The paper or electronic form of a ledger changes by cleaning it up, not by editing.
            self.fields.pop("medium", None)
        if kind == EntryKind.SIGNBOARD:
            self.fields["since"].label = _("挂牌日期")

    @staticmethod
    def initial_of(entry: InventoryEntry) -> dict[str, Any]:
        return {
            "name": entry.name,
            "department_name": entry.department_name,
            "admission_number": entry.admission.number if entry.admission_id else "",
            "basis_item_key": str(entry.basis_item_key) if entry.basis_item_key else "",
            "quantity": entry.quantity,
            "medium": entry.medium,
            "year": entry.year,
            "one_vote_veto": entry.one_vote_veto,
            "since": entry.since,
            "notes": entry.notes,
        }

    def clean_since(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("since"), _("设立日期不能晚于今天。"))

    def values(self) -> dict[str, Any]:
        """What the service takes: the fields of this kind."""
        data = self.cleaned_data
        values = {
            name: data.get(name)
            for name in ("name", "department_name", "admission_number", "since", "notes")
        }
        values["basis_item_key"] = data.get("basis_item_key") or None
        if self.kind == EntryKind.LEDGER:
            values["quantity"] = data.get("quantity") or 1
            values["year"] = data.get("year")
            if "medium" in self.fields:
                values["medium"] = data.get("medium")
        if self.kind == EntryKind.CAMPAIGN:
            values["one_vote_veto"] = bool(data.get("one_vote_veto"))
        return values


class EndForm(Form):
    """Clean an entry up: removed, merged into another, retired, or a paper ledger turned
    into an electronic one (an existing one, or one recorded in the same step)."""

    status = forms.ChoiceField(label=_("清理方式"), widget=forms.RadioSelect)
    ended_on = date_field(_("清理日期"))
    reason = forms.CharField(
        label=_("清理说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如依据的文件、合并或摘除的原因"),
    )
    successor = forms.ModelChoiceField(
        label=_("并入（转为）"),
        queryset=InventoryEntry.objects.none(),
        required=False,
        empty_label=_("（无）"),
        help_text=_("合并时选择并入的条目；转为电子台账时选择已有的电子台账"),
    )
    new_electronic = forms.BooleanField(
        label=_("同时登记新的电子台账"),
        required=False,
        help_text=_("尚未登记电子台账的，勾选后在清理的同时登记"),
    )
    new_name = forms.CharField(
        label=_("电子台账名称"),
        max_length=200,
        required=False,
        help_text=_("留空则沿用纸质台账的名称"),
    )

    def __init__(self, *args: Any, entry: InventoryEntry, successors: Any, **kwargs: Any):
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.entry = entry
        self.paper = entry.kind == EntryKind.LEDGER and entry.medium == "paper"
        statuses = [s for s in ENDED_STATUSES if s != EntryStatus.DIGITISED or self.paper]
        self.fields["status"].choices = [(s, EntryStatus(s).label) for s in statuses]
        self.fields["successor"].queryset = successors
        self.fields["successor"].label_from_instance = _successor_label
        if not self.paper:
            del self.fields["new_electronic"]
            del self.fields["new_name"]

    def clean_ended_on(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("ended_on"), _("清理日期不能晚于今天。"))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("new_electronic"):
            if data.get("status") != EntryStatus.DIGITISED:
                self.add_error("new_electronic", _("只有“转为电子台账”时才能同时登记电子台账。"))
            elif data.get("successor") is not None:
                self.add_error("successor", _("已勾选登记新的电子台账，不必再选择转入对象。"))
        return data

    @property
    def digitise_new(self) -> bool:
        return bool(self.cleaned_data.get("new_electronic"))


def _successor_label(entry: InventoryEntry) -> str:
    if entry.kind == EntryKind.LEDGER:
        return f"{entry.name}（{entry.get_medium_display()}）"
    return entry.name


# The district's caps and snapshots --------------------------------------------------------------


class SettingsForm(Form):
    signboard_cap = forms.IntegerField(
        label=_("每个社区挂牌上限（块）"),
        min_value=0,
        max_value=CAP_MAX,
        help_text=_("超过上限的社区在负担台账中标红"),
    )
    campaign_cap = forms.IntegerField(
        label=_("每个社区创建评比项目上限（项）"),
        min_value=0,
        max_value=CAP_MAX,
        required=False,
        help_text=_("留空表示不设上限"),
    )


class SnapshotForm(Form):
    label = forms.CharField(
        label=_("快照名称"), max_length=100, help_text=_("如“2026年减负前普查”")
    )
    baseline = forms.BooleanField(
        label=_("作为基线"),
        required=False,
        help_text=_("各社区现有的基线（包括调查录入的基线）将被本次快照替换"),
    )


# The figures a survey baseline records, in the order the form asks for them.
BASELINE_COUNTS = (
    "tasks",
    "duties",
    "admitted",
    "hours",
    "signboards",
    "ledger_books",
    "electronic_ledgers",
    "campaigns",
    "one_vote_veto",
    "systems",
    "unadmitted",
    "workers",
)


class BaselineForm(Form):
    """A community's figures from a survey made before it used Jianfu (seed 002: 圆梦社区 242
    tasks, 46 signboards, 151 ledger books)."""

    community = forms.ChoiceField(label=_("社区"))
    taken_on = date_field(_("调查日期"))
    label = forms.CharField(label=_("名称"), max_length=100, initial=_("减负前调查"))
    funds_committed = forms.CharField(label=_("应到经费（元）"), required=False, max_length=20)
    funds_transferred = forms.CharField(label=_("已到经费（元）"), required=False, max_length=20)

    def __init__(self, *args: Any, communities: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", _("请选择社区")), *communities]
        from jianfu.burden.selectors import figure_label

        for name in BASELINE_COUNTS:
            self.fields[name] = forms.IntegerField(
                label=figure_label(name),
                min_value=0,
                max_value=FIGURE_MAX,
                required=False,
                widget=forms.NumberInput(attrs={"min": 0, "class": "count"}),
            )

    def count_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in BASELINE_COUNTS]

    def clean_taken_on(self) -> dt.date | None:
        return _not_future(self.cleaned_data.get("taken_on"), _("调查日期不能晚于今天。"))

    def _fen(self, name: str) -> int:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return 0
        try:
            return parse_yuan(text)
        except InvalidInput as error:
            raise forms.ValidationError(str(error.message)) from error

    def clean_funds_committed(self) -> int:
        return self._fen("funds_committed")

    def clean_funds_transferred(self) -> int:
        return self._fen("funds_transferred")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("tasks") is None and (
            data.get("duties") is not None or data.get("admitted") is not None
        ):
            data["tasks"] = (data.get("duties") or 0) + (data.get("admitted") or 0)
        if not any(data.get(name) for name in BASELINE_COUNTS) and not self.errors:
            raise forms.ValidationError(_("请至少填写一项调查数字。"))
        return data

    def figures(self) -> dict[str, int]:
        data = self.cleaned_data
        figures = {name: data.get(name) or 0 for name in BASELINE_COUNTS}
        figures["funds_committed_fen"] = data.get("funds_committed") or 0
        figures["funds_transferred_fen"] = data.get("funds_transferred") or 0
        return figures


class FilterForm(Form):
    flagged = forms.BooleanField(label=_("只看有问题的社区"), required=False)
