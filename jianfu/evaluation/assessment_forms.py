"""Input of the assessment of dispatched agencies' pages; every write goes through
evaluation.assessment."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jianfu.evaluation.assessment import DEFAULT_INDICATORS, DEFAULT_WEIGHTS
from jianfu.evaluation.models import AssessedAgency, AssessorKind, Indicator

# One indicator a line: its name, then its points ("工作实绩 40", "工作实绩：40", "工作实绩,40").
INDICATOR_LINE = re.compile(r"^(?P<name>.+?)[\s,，:：、]+(?P<score>\d{1,3})\s*(分)?$")


def _weight_field(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1, "class": "short"}),
    )


class AssessmentForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=200)
    year = forms.IntegerField(
        label=_("考核年度"),
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"min": 2000, "max": 2100, "step": 1, "class": "short"}),
    )
    weight_department = _weight_field(_("区直部门权重"))
    weight_street = _weight_field(_("街道权重"))
    weight_society = _weight_field(_("社会评价权重"))
    adjustment_below = forms.IntegerField(
        label=_("“需调整”分数线"),
        min_value=0,
        max_value=100,
        help_text=_("加权总分低于此分数的派驻机构标为“需调整”，街道可据此提出人事调整动议。"),
        widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1, "class": "short"}),
    )
    indicators = forms.CharField(
        label=_("考核指标"),
        help_text=_("每行一项：指标名称和分值，如“工作实绩 40”；各项分值合计 100 分。"),
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(
        self, *args: Any, district_name: str = "", adjustment_below: int = 60, **kwargs: Any
    ):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        year = timezone.localdate().year
        self.fields["year"].initial = year
        self.fields["title"].initial = _("%(district)s%(year)s 年度派驻机构双向考核") % {
            "district": district_name,
            "year": year,
        }
        for kind, weight in DEFAULT_WEIGHTS.items():
            self.fields[f"weight_{kind}"].initial = weight
        self.fields["adjustment_below"].initial = adjustment_below
        self.fields["indicators"].initial = "\n".join(
            f"{name} {score}" for name, score in DEFAULT_INDICATORS
        )

    def clean_indicators(self) -> list[tuple[str, int]]:
        parsed, bad = [], []
        for number, line in enumerate(self.cleaned_data["indicators"].splitlines(), start=1):
            if not line.strip():
                continue
            match = INDICATOR_LINE.match(line.strip())
            if match is None:
                bad.append(number)
                continue
            parsed.append((match["name"].strip(), int(match["score"])))
        if bad:
            raise forms.ValidationError(
                _("第 %(lines)s 行看不懂：每行应为指标名称和分值，如“工作实绩 40”。")
                % {"lines": "、".join(str(n) for n in bad)},
                code="invalid",
            )
        return parsed

    def weights(self) -> dict[str, int]:
        return {kind: self.cleaned_data[f"weight_{kind}"] for kind in AssessorKind.values}


def score_field_name(agency: AssessedAgency, indicator: Indicator) -> str:
    return f"s-{agency.pk}-{indicator.pk}"


class ScoreForm(forms.Form):
    """A grid: one row per agency, one number per indicator. A row left blank is left as it
    was; a row started must be finished."""

    def __init__(
        self,
        *args: Any,
        agencies: list[AssessedAgency],
        indicators: list[Indicator],
        disabled: bool = False,
        **kwargs: Any,
    ):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.agencies, self.indicators = agencies, indicators
        for agency in agencies:
            for indicator in indicators:
                self.fields[score_field_name(agency, indicator)] = forms.IntegerField(
                    label=f"{agency.agency.name} · {indicator.name}",
                    required=False,
                    min_value=0,
                    max_value=indicator.max_score,
                    disabled=disabled,
                    widget=forms.NumberInput(
                        attrs={
                            "min": 0,
                            "max": indicator.max_score,
                            "step": 1,
                            "class": "score",
                            "inputmode": "numeric",
                            "aria-label": f"{agency.agency.name} {indicator.name}",
                        }
                    ),
                )

    def rows(self) -> list[tuple[AssessedAgency, list[forms.BoundField]]]:
        return [
            (agency, [self[score_field_name(agency, ind)] for ind in self.indicators])
            for agency in self.agencies
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for agency in self.agencies:
            names = [score_field_name(agency, ind) for ind in self.indicators]
            given = [data.get(name) for name in names if name not in self.errors]
            if any(value is not None for value in given) and (
                len(given) < len(names) or any(value is None for value in given)
            ):
                for name in names:
                    if data.get(name) is None and name not in self.errors:
                        self.add_error(name, _("此行已开始打分，本项也要填写。"))
        return data

    def scores(self) -> dict[int, dict[int, int]]:
        """The rows filled in: {assessed agency id: {indicator id: score}}."""
        filled = {}
        for agency in self.agencies:
            values = {
                ind.pk: self.cleaned_data.get(score_field_name(agency, ind))
                for ind in self.indicators
            }
            if all(value is not None for value in values.values()):
                filled[agency.pk] = values
        return filled
