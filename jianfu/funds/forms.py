"""Input validation for the ledger's pages; every write goes through funds.services.

Amounts are typed in yuan (元) and handed to the services in fen (分)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jianfu.core.errors import InvalidInput
from jianfu.core.money import format_fen, parse_yuan
from jianfu.funds.services import VOUCHER_MAX_BYTES

MEMO_MAX = 1000
YEAR_MIN, YEAR_MAX = 2000, 2100
# The value of the spending source "base office funds" next to a community's code.
BASE = "base"


def memo_field(label: Any = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("摘要"), max_length=MEMO_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )


def year_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("年度"),
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        widget=forms.NumberInput(attrs={"min": YEAR_MIN, "max": YEAR_MAX, "step": 1}),
    )


class YuanField(forms.CharField):
    """An amount typed in yuan ("1,234.50"), cleaned to fen; blank means nothing when optional."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "class": "amount", "autocomplete": "off"})

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            fen = parse_yuan(text)
        except InvalidInput as error:
            raise forms.ValidationError(str(error.message), code="invalid") from error
        if fen <= 0:
            raise forms.ValidationError(_("金额须大于 0。"), code="min_value")
        return fen


class VoucherField(forms.FileField):
    def clean(self, *args: Any, **kwargs: Any):
        upload = super().clean(*args, **kwargs)
        if upload and upload.size > VOUCHER_MAX_BYTES:
            raise forms.ValidationError(_("凭证文件不能超过 20 MB。"), code="too_big")
        return upload


class Form(forms.Form):
    """A form whose labels carry no colon: the layout already sets them apart."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if "year" in self.fields:
            # Read at each request, not at import: a server runs across the new year.
            self.fields["year"].initial = timezone.localdate().year


def voucher_field(*, required: bool) -> VoucherField:
    return VoucherField(
        label=_("凭证") if required else _("凭证（可选）"),
        required=required,
        help_text=_("扫描件或电子票据，PDF、图片等，不超过 20 MB"),
    )


class AppropriateForm(Form):
    """预算下达: the finance office funds a department's budget line for one fund source."""

    department = forms.ChoiceField(label=_("预算单位"))
    fund_source = forms.CharField(label=_("资金来源"), max_length=100, initial=_("区级财政专项"))
    amount = YuanField(label=_("金额（元）"))
    year = year_field()
    memo = memo_field()
    voucher = voucher_field(required=False)

    def __init__(self, *args: Any, departments: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", _("（请选择）")), *departments]


def budget_choices(lines: list[tuple[Any, int]]) -> list[tuple[str, str]]:
    """Budget lines with their balances, for a select."""
    return [
        (
            str(line.pk),
            _("%(name)s（可用 %(amount)s 元）") % {"name": line.name, "amount": format_fen(held)},
        )
        for line, held in lines
    ]


class TransferPickForm(Form):
    """The first step of a transfer: which admission, which year (a GET form)."""

    admission = forms.ChoiceField(label=_("准入事项"))
    year = year_field()

    def __init__(self, *args: Any, admissions: list[tuple[int, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["admission"].choices = [("", _("（请选择）")), *admissions]


class TransferForm(Form):
    """拨付: one amount per community of the admission's scope, from one budget line."""

    budget = forms.ChoiceField(label=_("拨出的预算指标"))
    memo = memo_field()
    voucher = voucher_field(required=False)

    def __init__(
        self,
        *args: Any,
        budgets: list[tuple[str, str]],
        communities: list[tuple[str, str, int]],
        **kwargs: Any,
    ):
        """`communities`: (code, name, amount owed in fen) for each community of the scope."""
        super().__init__(*args, **kwargs)
        self.fields["budget"].choices = [("", _("（请选择）")), *budgets]
        if len(budgets) == 1:
            self.fields["budget"].initial = budgets[0][0]
        for code, name, owed in communities:
            self.fields[f"amount_{code}"] = YuanField(
                label=name,
                required=False,
                initial=format_fen(owed).replace(",", "") if owed > 0 else "",
            )
        self.codes = [code for code, _name, _owed in communities]

    def amount_fields(self) -> list[forms.BoundField]:
        return [self[f"amount_{code}"] for code in self.codes]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not self.allocations():
            raise forms.ValidationError(_("请至少为一个社区填写拨付金额。"), code="empty")
        return data

    def allocations(self) -> list[tuple[str, int]]:
        return [
            (code, amount)
            for code in self.codes
            if (amount := self.cleaned_data.get(f"amount_{code}"))
        ]


class BaseAllocationForm(Form):
    """办公经费拨付: base office funds for one community from a budget line."""

    budget = forms.ChoiceField(label=_("拨出的预算指标"))
    community = forms.ChoiceField(label=_("社区"))
    amount = YuanField(label=_("金额（元）"))
    year = year_field()
    memo = memo_field()
    voucher = voucher_field(required=False)

    def __init__(
        self,
        *args: Any,
        budgets: list[tuple[str, str]],
        communities: list[tuple[str, list[tuple[str, str]]]],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["budget"].choices = [("", _("（请选择）")), *budgets]
        if len(budgets) == 1:
            self.fields["budget"].initial = budgets[0][0]
        self.fields["community"].choices = [("", _("（请选择）")), *communities]


class SpendForm(Form):
    """支出: the street records a community's spending against an earmark or its base funds."""

    source = forms.ChoiceField(label=_("经费来源"))
    amount = YuanField(label=_("金额（元）"))
    year = year_field()
    memo = memo_field(_("支出事由"))
    voucher = voucher_field(required=True)

    def __init__(self, *args: Any, sources: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any):
        """`sources`: per community, ("<code>:<admission id>" or "<code>:base", label)."""
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("（请选择）")), *sources]

    def picked(self) -> tuple[str, int | None]:
        """(community code, admission id or None for base funds)."""
        code, _sep, admission = self.cleaned_data["source"].partition(":")
        return code, None if admission == BASE else int(admission)


class ReversalForm(Form):
    reason = forms.CharField(
        label=_("冲正理由"), max_length=MEMO_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
