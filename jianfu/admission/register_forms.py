"""Input validation for the admissions register, its settings, and the working-day calendar."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jianfu.admission.models import AdmissionState, TargetLevel

DATE = forms.DateInput(attrs={"type": "date"})
REASON = forms.Textarea(attrs={"rows": 2})


class RegisterFilterForm(forms.Form):
    """The register's filters; a value that does not parse is simply not applied."""

    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部")), *AdmissionState.choices]
    )
    district = forms.RegexField(label=_("区县"), regex=r"^\d{12}$", required=False)
    region = forms.RegexField(label=_("区划"), regex=r"^\d{12}$", required=False)
    department = forms.IntegerField(label=_("主管部门"), required=False, min_value=1)
    year = forms.IntegerField(label=_("年度"), required=False, min_value=1900, max_value=9999)

    def filters(self) -> dict:
        if not self.is_bound:
            return {}
        if not self.is_valid():
            # Keep the fields that did parse: one bad value does not drop the other filters.
            data = {name: self.cleaned_data.get(name) for name in self.fields}
        else:
            data = self.cleaned_data
        return {
            "status": data.get("status") or "",
            "region": data.get("region") or data.get("district") or "",
            "department": data.get("department"),
            "year": data.get("year"),
        }


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销理由"), widget=REASON, max_length=2000)
    reference = forms.CharField(label=_("决定文号"), max_length=100)


class SuspendForm(forms.Form):
    reason = forms.CharField(
        label=_("暂停理由"),
        widget=REASON,
        max_length=2000,
        help_text=_("如：经费未按期拨付到位"),
    )


class ResumeForm(forms.Form):
    reason = forms.CharField(label=_("恢复理由"), widget=REASON, max_length=2000)


STATE_FORMS = {"revoke": RevokeForm, "suspend": SuspendForm, "resume": ResumeForm}


class RenewForm(forms.Form):
    valid_until = forms.DateField(label=_("续期后有效期至"), widget=DATE)
    reason = forms.CharField(label=_("续期理由"), widget=REASON, max_length=2000)


class ProvisionalForm(forms.Form):
    """An emergency admission (突发、紧急事件); `days` is capped by the district's setting."""

    department = forms.TypedChoiceField(label=_("实施部门"), coerce=int)
    title = forms.CharField(label=_("事项名称"), max_length=200)
    content = forms.CharField(label=_("工作内容"), widget=forms.Textarea(attrs={"rows": 3}))
    target_level = forms.ChoiceField(
        label=_("承接层级"), choices=TargetLevel.choices, initial=TargetLevel.COMMUNITY
    )
    regions = forms.MultipleChoiceField(
        label=_("实施范围"), widget=forms.CheckboxSelectMultiple, required=True
    )
    reason = forms.CharField(
        label=_("紧急事由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说明威胁生命、财产或公共安全的突发、紧急情况"),
    )
    days = forms.IntegerField(label=_("有效天数"), min_value=1)

    def __init__(self, *args, departments, regions, max_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "—"), *((d.pk, d.name) for d in departments)]
        self.fields["regions"].choices = [(r.code, r.name) for r in regions]
        days = self.fields["days"]
        days.initial = max_days
        days.widget.attrs.update(min=1, max=max_days)
        # A validator of our own: Django's max_value message is generic and not about the rule.
        days.validators.append(_MaxDays(max_days))
        days.help_text = _("最长 %(days)d 天，期满前须按正常程序申请准入") % {"days": max_days}


class _MaxDays:
    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, value: int) -> None:
        if value is not None and value > self.limit:
            raise forms.ValidationError(
                _("临时准入最长 %(days)d 天，不能超过。"), params={"days": self.limit}
            )


def _days(label):
    return forms.IntegerField(label=label, min_value=1, max_value=366)


class SettingsForm(forms.Form):
    """A district's AdmissionSettings; the service checks the same limits again."""

    number_prefix = forms.CharField(
        label=_("准入编号简称"),
        min_length=1,
        max_length=10,
        help_text=_("1 至 10 个字，如“市中”"),
    )
    review_days = _days(_("初审时限（工作日）"))
    consultation_days = _days(_("征求意见时限（工作日）"))
    decision_days = _days(_("决定时限（自提交起，工作日）"))
    provisional_days = _days(_("临时准入最长天数"))
    hours_per_worker = forms.IntegerField(
        label=_("每名社区工作者每年可承接协助工作小时数"), min_value=1, max_value=8760
    )
    capacity_blocks = forms.BooleanField(
        label=_("超出负担预算时禁止准入"),
        required=False,
        help_text=_("不勾选时只提示；勾选后，除非“一进一出”，超出预算的申请不能准入"),
    )
    funding_grace_days = forms.IntegerField(
        label=_("经费到位时限（天）"),
        min_value=1,
        max_value=366,
        help_text=_(
            "准入经费自年度实施之日起逾此天数仍未拨付到某社区的，该准入对该社区暂停，"
            "社区可以拒绝相关任务；经费到位后自动恢复"
        ),
    )
    refusal_basis = forms.CharField(
        label=_("拒绝受理依据"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "街道、社区拒绝未经准入的任务时，不予受理告知书引用的规定原文；留空则使用默认表述"
        ),
    )

    def values(self) -> dict:
        return dict(self.cleaned_data)


def capacity_rows(data, communities) -> tuple[list[dict], list[str]]:
    """The capacity table's inputs (workers-<code>, hours-<code>) as rows, and what is wrong."""
    rows, problems = [], []
    for community in communities:
        if f"workers-{community.code}" not in data:
            # A community the form did not show (or a partial post) keeps what it has.
            continue
        workers_text = (data.get(f"workers-{community.code}") or "").strip()
        hours_text = (data.get(f"hours-{community.code}") or "").strip()
        try:
            workers = int(workers_text or 0)
            hours = int(hours_text) if hours_text else None
        except ValueError:
            problems.append(_("%(name)s：请填写整数。") % {"name": community.name})
            continue
        rows.append({"community": community.code, "workers": workers, "hours_per_year": hours})
    return rows, [str(p) for p in problems]


WORKDAY_CHOICES = [("0", _("休息（节假日）")), ("1", _("上班（调休）"))]


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=DATE)
    is_workday = forms.TypedChoiceField(
        label=_("类型"),
        choices=WORKDAY_CHOICES,
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="0",
    )
    name = forms.CharField(label=_("说明"), max_length=50, required=False)


class CalendarImportForm(forms.Form):
    text = forms.CharField(
        label=_("逐行粘贴"),
        widget=forms.Textarea(
            attrs={"rows": 8, "placeholder": "2026-10-01,休,国庆节\n2026-09-28,班,国庆调休"}
        ),
        help_text=_("每行：日期,班或休,说明。任何一行有误时不写入任何记录"),
    )
    replace = forms.BooleanField(label=_("替换该年已有的全部记录"), required=False)


def year_from(value: str | None) -> int:
    """The year a page shows: the one asked for, or this year."""
    if value and value.isdigit() and 1900 <= int(value) <= 9999:
        return int(value)
    return timezone.localdate().year
