"""Input validation for the evaluation's management pages; every write goes through
evaluation.services.

Thresholds are typed as percentages and handed to the services in basis points (50 % → 5000);
voting windows are typed in the district's local time (datetime-local inputs)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jianfu.evaluation.models import MAX_DIMENSIONS, GroupKind
from jianfu.evaluation.services import MAX_CODES_PER_SHEET

YEAR_MIN, YEAR_MAX = 2000, 2100
WEIGHT_MAX = 1000
NOTICE_MAX = 5000
PAPER_MAX_BYTES = 20 * 1024 * 1024
YES, NO = "yes", "no"
# What a datetime-local input sends and shows: minutes, no seconds, no zone.
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class Form(forms.Form):
    """A form whose labels carry no colon: the layout already sets them apart."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def window_field(label: Any) -> forms.DateTimeField:
    # A naive value is read in the current time zone (the district's), which Django does for
    # a DateTimeField when USE_TZ is on.
    return forms.DateTimeField(
        label=label,
        input_formats=[LOCAL_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT),
    )


def threshold_field() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("撤销线（%）"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        help_text=_("群众满意率不高于此值（不过半数为 50%）且有效票达到最少票数时，撤销准入"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": 0, "max": 100}),
    )


def quorum_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=_("每个评议对象最少有效票数"),
        min_value=1,
        max_value=100_000,
        help_text=_("有效票不足此数的评议对象只作标记，不作结论"),
        widget=forms.NumberInput(attrs={"min": 1}),
    )


def automatic_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_("撤销方式"),
        choices=[
            (YES, _("计票后自动撤销")),
            (NO, _("计票后由领导小组办公室逐项确认撤销")),
        ],
        coerce=lambda value: value == YES,
        widget=forms.RadioSelect,
    )


def basis_points(percent: Decimal) -> int:
    """A percentage typed with up to two decimals, in basis points (50.5 % → 5050)."""
    return int((percent * 100).to_integral_value())


def percent_of(basis: int) -> Decimal:
    return (Decimal(basis) / 100).normalize() if basis % 100 else Decimal(basis // 100)


def local_input(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime(LOCAL_FORMAT)


class CampaignRulesForm(Form):
    """What a campaign's draft fixes: its name, window, rules and its groups' weights."""

    title = forms.CharField(label=_("名称"), max_length=200)
    opens_at = window_field(_("投票开始"))
    closes_at = window_field(_("投票截止"))
    quorum = quorum_field()
    threshold = threshold_field()
    automatic_revocation = automatic_field()

    # Each group's weight field; on a new campaign 0 or empty leaves the group out.
    weights_required = False

    def __init__(self, *args: Any, kinds: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kinds = kinds or list(GroupKind.values)
        for kind in self.kinds:
            self.fields[f"weight_{kind}"] = forms.IntegerField(
                label=GroupKind(kind).label,
                required=self.weights_required,
                min_value=0 if not self.weights_required else 1,
                max_value=WEIGHT_MAX,
                widget=forms.NumberInput(attrs={"min": 0, "max": WEIGHT_MAX, "class": "weight"}),
            )

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{kind}"] for kind in self.kinds]

    def weights(self) -> dict[str, int]:
        """The weight of every group taking part (a weight of 0 or none: not taking part)."""
        return {
            kind: weight
            for kind in self.kinds
            if (weight := self.cleaned_data.get(f"weight_{kind}"))
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("投票截止时间应晚于开始时间。"))
        if not self.errors and not self.weights():
            raise forms.ValidationError(_("至少需要一类评议人（权重大于 0）。"), code="no_groups")
        return data

    def rules(self) -> dict[str, Any]:
        """The cleaned values as the services take them."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "quorum": data["quorum"],
            "revoke_threshold_bp": basis_points(data["threshold"]),
            "automatic_revocation": data["automatic_revocation"],
        }


class CampaignCreateForm(CampaignRulesForm):
    """A new campaign: the rules above, plus its year and the dimensions evaluators rate."""

    year = forms.IntegerField(
        label=_("评议年度"),
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        widget=forms.NumberInput(attrs={"min": YEAR_MIN, "max": YEAR_MAX}),
    )
    dimensions = forms.CharField(
        label=_("评议维度"),
        widget=forms.Textarea(attrs={"rows": MAX_DIMENSIONS}),
    )

    field_order = ["title", "year", "opens_at", "closes_at", "quorum", "threshold"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Formatted here, in the reader's language, not once at import.
        self.fields["dimensions"].help_text = _(
            "每行一个，至多 %(max)s 个；评议人对每个维度和总体分别评价"
        ) % {"max": MAX_DIMENSIONS}

    def clean_dimensions(self) -> list[str]:
        names = [line.strip() for line in self.cleaned_data["dimensions"].splitlines()]
        names = [name for name in names if name]
        if not 1 <= len(names) <= MAX_DIMENSIONS:
            raise forms.ValidationError(
                _("评议维度应为 1 至 %(max)s 个。") % {"max": MAX_DIMENSIONS}, code="count"
            )
        return names


class CampaignEditForm(CampaignRulesForm):
    """A draft's rules; its groups stay as they are, only their weights change."""

    weights_required = True


class PublishForm(Form):
    notice = forms.CharField(
        label=_("通报正文（可选）"),
        required=False,
        max_length=NOTICE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("随结果一同公布，例如评议的组织情况和整改要求"),
    )


def _choices(pairs: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    return [("", _("（请选择）")), *pairs]


class EnrolForm(Form):
    """Register an account holder (role 评议代表) of the user's communities as an evaluator."""

    user = forms.ChoiceField(label=_("评议代表账号"))
    group = forms.ChoiceField(label=_("评议人类别"))

    def __init__(
        self, *args: Any, users: list[tuple[int, str]], groups: list[tuple[str, str]], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = _choices(users)
        self.fields["group"].choices = _choices(groups)


class SheetForm(Form):
    """A sheet of one-time codes for one street or community and one group."""

    region = forms.ChoiceField(label=_("社区（街道）"))
    group = forms.ChoiceField(label=_("评议人类别"))
    count = forms.IntegerField(
        label=_("评议码数量"),
        min_value=1,
        max_value=MAX_CODES_PER_SHEET,
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_CODES_PER_SHEET}),
    )

    def __init__(
        self, *args: Any, regions: list[tuple[str, str]], groups: list[tuple[str, str]], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = _choices(regions)
        self.fields["group"].choices = _choices(groups)
        if len(regions) == 1:
            self.fields["region"].initial = regions[0][0]


class PaperUploadForm(Form):
    region = forms.ChoiceField(label=_("社区（街道）"))
    file = forms.FileField(
        label=_("纸质票文件"),
        help_text=_("按模板填写的 XLSX 或 CSV 文件，每行一张选票对一个评议对象"),
    )

    def __init__(self, *args: Any, regions: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = _choices(regions)
        if len(regions) == 1:
            self.fields["region"].initial = regions[0][0]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > PAPER_MAX_BYTES:
            raise forms.ValidationError(_("文件不能超过 20 MB。"), code="too_big")
        return upload


class SettingsForm(Form):
    """A district's evaluation rules, which each new campaign copies."""

    threshold = threshold_field()
    quorum = quorum_field()
    automatic_revocation = automatic_field()
    adjustment_below = forms.IntegerField(
        label=_("派驻机构考核“需调整”分数线"),
        min_value=0,
        max_value=100,
        help_text=_("加权总分低于此分的派驻机构标记为“需调整”"),
        widget=forms.NumberInput(attrs={"min": 0, "max": 100}),
    )
