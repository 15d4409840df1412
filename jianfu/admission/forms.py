"""Input validation for the application pages; every write goes through admission.services."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jianfu.admission.models import (
    Application,
    DecisionOutcome,
    DocumentKind,
    Opinion,
    OpinionVerdict,
    TargetLevel,
)
from jianfu.admission.services import APPLICATION_FIELDS, CRITERIA, CRITERIA_LABELS
from jianfu.catalog.models import ListKind
from jianfu.core.errors import InvalidInput
from jianfu.core.money import parse_yuan
from jianfu.org.models import Region, RegionLevel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def rows(n: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


def yuan_text(fen: int) -> str:
    """Fen as a yuan amount to type over: 1000050 → "10000.50"."""
    yuan, cents = divmod(int(fen), 100)
    return f"{yuan}.{cents:02d}"


def _yuan(text: str) -> int:
    try:
        return parse_yuan(text)
    except InvalidInput as error:
        raise forms.ValidationError(str(error.message)) from error


# Work placed on streets or communities belongs on one of these lists; the negative list and
# the list of certificates that must not be issued are never a destination.
LIST_KIND_CHOICES = [
    (value, label)
    for value, label in ListKind.choices
    if value not in (ListKind.NEGATIVE, ListKind.CERTIFICATE_BANNED)
]
REPORT_LINE = re.compile(r"^(?P<name>.+?)\s*[,，、]\s*(?P<fields>\d+)\s*$")


class ApplicationForm(forms.ModelForm):
    """Every field of an application, the scope with its money per region, and what it retires."""

    list_kind = forms.ChoiceField(
        label=_("所属清单类别"), choices=LIST_KIND_CHOICES, initial=ListKind.ASSIST
    )
    report_forms_text = forms.CharField(
        label=_("报表"),
        required=False,
        widget=rows(3),
        help_text=_("每行一张报表：名称,字段数，例如“高龄津贴发放花名册,12”"),
    )
    scope = forms.MultipleChoiceField(
        label=_("实施范围"), required=False, widget=forms.CheckboxSelectMultiple
    )
    funding_all = forms.CharField(
        label=_("统一每年经费（元）"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "amount"}),
        help_text=_("填写后，所有勾选但未单独填写金额的街道或社区均按此金额计"),
    )
    retires = forms.ModelMultipleChoiceField(
        label=_("同时退出的已准入事项（一进一出）"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    SECTIONS = [
        (_("基本信息"), ["title", "object_kind", "target_level", "list_kind"]),
        (
            _("授权内容"),
            ["content", "service_objects", "powers", "term_from", "term_until"],
        ),
        (
            _("三项标准"),
            [
                "legal_law",
                "legal_article",
                "legal_text",
                "higher_document_number",
                "higher_document_title",
                "need_statement",
            ],
        ),
        (
            _("经费与人员保障"),
            ["work_plan", "funding_source", "staffing_support", "training_support"],
        ),
        (
            _("负担估算（每个街道或社区）"),
            ["minutes_per_occurrence", "occurrences_per_year", "ledger_books", "report_forms_text"],
        ),
        (_("清单"), ["catalog_list", "proposed_item_name"]),
    ]
    WIDE = frozenset(
        {
            "content",
            "service_objects",
            "powers",
            "legal_text",
            "need_statement",
            "work_plan",
            "staffing_support",
            "training_support",
            "report_forms_text",
        }
    )
    COUNTS = ("minutes_per_occurrence", "occurrences_per_year", "ledger_books")

    class Meta:
        model = Application
        fields = [name for name in APPLICATION_FIELDS if name not in ("report_forms", "item_key")]
        widgets = {
            "content": rows(3),
            "service_objects": rows(2),
            "powers": rows(2),
            "legal_text": rows(3),
            "need_statement": rows(3),
            "work_plan": rows(4),
            "staffing_support": rows(2),
            "training_support": rows(2),
            "term_from": DATE,
            "term_until": DATE,
        }
        labels = {"catalog_list": _("所属清单")}
        help_texts = {
            "legal_law": _("如《四川省老年人权益保障条例》"),
            "legal_article": _("如第二十八条"),
            "higher_document_number": _("如川民发〔2025〕12号"),
            "catalog_list": _("事项所在的清单；清单中尚无此事项时，在下方填写拟新增的事项名称"),
        }

    def __init__(
        self,
        *args: Any,
        streets: list[tuple[Region, list[Region]]],
        lists,
        retirable,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.streets = streets
        self.fields["catalog_list"].queryset = lists
        self.fields["catalog_list"].empty_label = _("（不引用清单）")
        self.fields["retires"].queryset = retirable
        self.fields["retires"].label_from_instance = lambda a: f"{a.number} {a.title}"
        self.regions: dict[str, Region] = {}
        for street, communities in streets:
            for region in (street, *communities):
                self.regions[region.code] = region
                self.fields[f"funding_{region.code}"] = forms.CharField(
                    label=region.name,
                    required=False,
                    widget=forms.TextInput(
                        attrs={
                            "inputmode": "decimal",
                            "placeholder": "0.00",
                            "class": "amount",
                            "aria-label": _("%(name)s每年经费（元）") % {"name": region.name},
                        }
                    ),
                )
        self.fields["scope"].choices = [(code, r.name) for code, r in self.regions.items()]
        for name in self.COUNTS:
            self.fields[name].required = False
            self.fields[name].min_value = 0

    @classmethod
    def initial_for(cls, application: Application) -> dict[str, Any]:
        """The form's starting values for an existing application."""
        scope = list(application.scope.all())
        initial = {
            "report_forms_text": "\n".join(
                f"{form['name']},{form['fields']}" for form in application.report_forms
            ),
            "scope": [row.region_id for row in scope],
            "retires": list(application.retires.all()),
        }
        initial |= {f"funding_{row.region_id}": yuan_text(row.funding_fen) for row in scope}
        return initial

    # Sections and the scope tree, as the template walks them.

    @property
    def sections(self):
        return [
            (title, [(self[name], name in self.WIDE) for name in names])
            for title, names in self.SECTIONS
        ]

    def picked_codes(self) -> set[str]:
        if self.is_bound:
            return set(self.data.getlist(self.add_prefix("scope")))
        return set(self.initial.get("scope") or ())

    @property
    def scope_tree(self) -> list[dict]:
        picked = self.picked_codes()

        def node(region: Region) -> dict:
            return {
                "region": region,
                "checked": region.code in picked,
                "amount": self[f"funding_{region.code}"],
            }

        return [
            {"street": node(street), "communities": [node(c) for c in communities]}
            for street, communities in self.streets
        ]

    # Validation

    def clean_report_forms_text(self) -> list[dict]:
        forms_ = []
        lines = self.cleaned_data["report_forms_text"].splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            match = REPORT_LINE.match(line.strip())
            if match is None:
                raise forms.ValidationError(
                    _("第 %(n)d 行应写成“名称,字段数”，如“走访登记表,8”。") % {"n": number}
                )
            forms_.append({"name": match["name"].strip(), "fields": int(match["fields"])})
        return forms_

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in self.COUNTS:
            if data.get(name) is None and name not in self.errors:
                data[name] = 0
        start, end = data.get("term_from"), data.get("term_until")
        if start and end and end < start:
            self.add_error("term_until", _("拟实施截止日不能早于起始日。"))
        self._clean_scope(data)
        return data

    def _clean_scope(self, data: dict[str, Any]) -> None:
        codes = data.get("scope") or []
        level = data.get("target_level")
        wanted = RegionLevel.STREET if level == TargetLevel.STREET else RegionLevel.COMMUNITY
        wrong = [self.regions[c].name for c in codes if self.regions[c].level != wanted]
        if level and wrong:
            message = (
                _("承接层级为街道时只能勾选街道：%(names)s")
                if level == TargetLevel.STREET
                else _("承接层级为社区时只能勾选社区：%(names)s")
            )
            self.add_error("scope", message % {"names": "、".join(wrong)})
        common = None
        if data.get("funding_all", "").strip():
            try:
                common = _yuan(data["funding_all"])
            except forms.ValidationError as error:
                self.add_error("funding_all", error)
        scope = []
        for code in codes:
            field = f"funding_{code}"
            text = (data.get(field) or "").strip()
            try:
                amount = _yuan(text) if text else (common or 0)
            except forms.ValidationError as error:
                self.add_error(field, error)
                continue
            scope.append((code, amount))
        data["scope_funding"] = scope

    def values(self) -> dict[str, Any]:
        """The application's fields, as the services take them."""
        values = {
            name: self.cleaned_data[name]
            for name in self._meta.fields
            if name not in ("report_forms", "item_key")
        }
        values["report_forms"] = self.cleaned_data["report_forms_text"]
        return values


# Workflow actions ---------------------------------------------------------------------------


class Form(forms.Form):
    """A form whose labels carry no colon: the layout already sets them apart."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ActionForm(Form):
    """An action with an optional comment; subclasses add what their action needs."""

    comment = forms.CharField(label=_("说明"), required=False, widget=rows(2))

    def __init__(self, *args: Any, application: Application, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.application = application

    def service_fields(self) -> dict[str, Any]:
        return {"comment": self.cleaned_data.get("comment", "")}


class ReasonForm(ActionForm):
    comment = forms.CharField(label=_("理由"), widget=rows(3))


class ReturnForm(ActionForm):
    comment = forms.CharField(label=_("需要补正的内容"), widget=rows(3))


class AcceptForm(ActionForm):
    """The review officer's finding on each of the three criteria."""

    def __init__(self, *args: Any, evidence: dict[str, bool], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in CRITERIA:
            self.fields[name] = forms.BooleanField(
                label=CRITERIA_LABELS[name],
                required=False,
                # A criterion the application gives no evidence for cannot be confirmed.
                disabled=not evidence[name],
                help_text="" if evidence[name] else _("申请未提供依据"),
            )
        self.order_fields([*CRITERIA, "comment"])

    def service_fields(self) -> dict[str, Any]:
        criteria = {name: bool(self.cleaned_data.get(name)) for name in CRITERIA}
        return {**super().service_fields(), "criteria": criteria}


class ConsultationForm(ActionForm):
    deadline = forms.DateField(label=_("意见回复截止日期"), widget=DATE)

    def service_fields(self) -> dict[str, Any]:
        return {**super().service_fields(), "deadline": self.cleaned_data["deadline"]}


class DecideForm(ActionForm):
    """The joint meeting's decision, its answers to disagreeing opinions, and what it settles."""

    outcome = forms.ChoiceField(
        label=_("联席会议决定"), choices=DecisionOutcome.choices, widget=forms.RadioSelect
    )
    meeting_date = forms.DateField(label=_("会议日期"), widget=DATE)
    attendees = forms.CharField(label=_("参会人员"), widget=rows(2))
    minutes = forms.CharField(label=_("会议纪要"), widget=rows(4))
    conditions = forms.CharField(
        label=_("准入条件"),
        required=False,
        widget=rows(2),
        help_text=_("附条件准入时必填"),
    )
    part_regions = forms.MultipleChoiceField(
        label=_("准入的街道或社区"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("部分范围准入时勾选"),
    )
    provider = forms.CharField(label=_("承接主体"), max_length=200, required=False)
    value = forms.CharField(label=_("合同金额（元）"), required=False)
    term_from = forms.DateField(label=_("服务起始日"), required=False, widget=DATE)
    term_until = forms.DateField(label=_("服务截止日"), required=False, widget=DATE)
    deliverables = forms.CharField(label=_("服务内容与成果要求"), required=False, widget=rows(2))

    PURCHASE = ("provider", "value", "term_from", "term_until", "deliverables")

    def __init__(self, *args: Any, scope: list[Region], disagreeing: list[Opinion], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["part_regions"].choices = [(r.code, r.name) for r in scope]
        self.disagreeing = disagreeing
        for opinion in disagreeing:
            self.fields[f"response_{opinion.pk}"] = forms.CharField(
                label=_("对%(region)s意见的答复") % {"region": opinion.region.name},
                required=not opinion.response,
                initial=opinion.response,
                widget=rows(2),
            )

    @property
    def responses(self):
        return [(opinion, self[f"response_{opinion.pk}"]) for opinion in self.disagreeing]

    @property
    def purchase_fields(self):
        return [self[name] for name in self.PURCHASE]

    def clean_value(self) -> int | None:
        text = self.cleaned_data["value"].strip()
        return _yuan(text) if text else None

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            **super().service_fields(),
            "outcome": data["outcome"],
            "meeting_date": data["meeting_date"],
            "attendees": data["attendees"],
            "minutes": data["minutes"],
            "conditions": data["conditions"],
            "responses": {
                opinion.pk: data[f"response_{opinion.pk}"] for opinion in self.disagreeing
            },
        }
        if data["outcome"] == DecisionOutcome.APPROVE_PART:
            fields["part_regions"] = data["part_regions"]
        if data["outcome"] == DecisionOutcome.PURCHASE_SERVICES:
            fields["purchase"] = {
                "provider": data["provider"],
                "value_fen": data["value"],
                "term_from": data["term_from"],
                "term_until": data["term_until"],
                "deliverables": data["deliverables"],
            }
        return fields


class WithdrawForm(ActionForm):
    confirm = forms.BooleanField(label=_("确认撤回该申请（撤回后不能恢复）"))
    comment = forms.CharField(label=_("撤回理由"), required=False, widget=rows(2))


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "send_for_signoff": ActionForm,
    "sign_off": ActionForm,
    "send_back": ReasonForm,
    "start_review": ActionForm,
    "return": ReturnForm,
    "accept": AcceptForm,
    "open_consultation": ConsultationForm,
    "close_consultation": ActionForm,
    "decide": DecideForm,
    "withdraw": WithdrawForm,
}


class OpinionForm(Form):
    verdict = forms.ChoiceField(
        label=_("意见"), choices=OpinionVerdict.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("意见内容"),
        required=False,
        widget=rows(3),
        help_text=_("附条件同意或不同意时必填"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("verdict") not in (None, OpinionVerdict.AGREE) and not data.get("text"):
            self.add_error("text", _("附条件同意或不同意时须写明意见内容。"))
        return data


class DocumentForm(Form):
    kind = forms.ChoiceField(label=_("材料类别"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("文件"),
        help_text=_("PDF、OFD、Word、Excel、WPS 或图片，不超过 20 MB"),
    )
