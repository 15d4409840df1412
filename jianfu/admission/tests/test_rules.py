"""The rules the gate must hold (issue 4, requirement 3), one test each, plus the other paths."""

import datetime as dt

import pytest
from django.utils import timezone

from jianfu.admission import services
from jianfu.admission.burden import application_burden
from jianfu.admission.models import (
    Admission,
    AdmissionSettings,
    AdmissionState,
    ApplicationState,
    CommunityCapacity,
    DecisionOutcome,
    Opinion,
    OpinionVerdict,
)
from jianfu.admission.tests.conftest import (
    ALL_CRITERIA,
    CHENGDONG,
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    advance,
    answer_all,
    days_ago,
    decide,
    make_application,
)
from jianfu.catalog import services as catalog_services
from jianfu.catalog.models import ListKind, ListLevel
from jianfu.core.errors import Conflict, Forbidden, InvalidInput
from jianfu.core.models import AuditRecord, Notification
from jianfu.org.models import Region


def _negative_list(personas, names):
    district = Region.objects.get(code="511002000000")
    negative = catalog_services.list_create(
        actor=personas.review_officer,
        code="511002-negative",
        name="市中区社区工作事项负面清单",
        kind=ListKind.NEGATIVE,
        level=ListLevel.COMMUNITY,
        region=district,
        first_label="2026版",
    )
    draft = negative.versions.get()
    for name in names:
        catalog_services.item_add(
            actor=personas.review_officer, version=draft, values={"name": name}, reason="编制"
        )
    catalog_services.version_publish(
        actor=personas.review_officer,
        version=draft,
        document_number="市中委编〔2026〕3号",
        valid_from=dt.date(2026, 1, 1),
    )
    return negative


def _accept(personas, application, criteria=ALL_CRITERIA):
    return services.application_transition(
        actor=personas.review_officer, application=application, action="accept", criteria=criteria
    )


def test_an_item_on_a_negative_list_cannot_pass_review_and_the_reason_names_the_entry(personas):
    _negative_list(personas, ["招商引资", "协税护税"])
    application = make_application(personas.dept_clerk, values={"title": "协助开展招商引资工作"})
    application = advance(personas, application, ApplicationState.IN_REVIEW)
    with pytest.raises(Conflict) as refused:
        _accept(personas, application)
    assert refused.value.code == "negative_list"
    assert "市中区社区工作事项负面清单" in str(refused.value.message)
    assert "招商引资" in str(refused.value.message)
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_REVIEW


def test_an_application_citing_a_negative_list_item_cannot_pass_review(personas):
    negative = _negative_list(personas, ["征地拆迁"])
    item = negative.versions.get().items.get()
    application = make_application(
        personas.dept_clerk, values={"catalog_list": negative, "item_key": item.key}
    )
    application = advance(personas, application, ApplicationState.IN_REVIEW)
    with pytest.raises(Conflict, match="征地拆迁"):
        _accept(personas, application)


def test_an_application_meeting_none_of_the_three_criteria_cannot_pass_review(
    personas, application
):
    application = advance(personas, application, ApplicationState.IN_REVIEW)
    none = {"legal_basis": False, "higher_requirement": False, "real_need": False}
    with pytest.raises(Conflict) as refused:
        _accept(personas, application, none)
    assert refused.value.code == "no_criterion"
    application.refresh_from_db()
    assert application.state == ApplicationState.IN_REVIEW and application.criteria == {}


def test_one_criterion_with_evidence_is_enough_to_pass_review(personas):
    application = make_application(
        personas.dept_clerk,
        values={"legal_law": "", "legal_article": "", "higher_document_number": ""},
    )
    application = advance(personas, application, ApplicationState.IN_REVIEW)
    with pytest.raises(InvalidInput, match="有法律法规依据"):
        _accept(personas, application, {"legal_basis": True, "real_need": True})
    application = _accept(personas, application, {"real_need": True})
    assert application.state == ApplicationState.AWAITING_DECISION
    assert application.criteria == {
        "legal_basis": False,
        "higher_requirement": False,
        "real_need": True,
    }


def test_an_incomplete_application_cannot_pass_review(personas):
    application = services.application_create(
        actor=personas.dept_clerk,
        values={
            "title": "社区消防安全检查",
            "object_kind": "task",
            "target_level": "community",
            "content": "每月检查",
        },
        scope=[(ZHONGGULOU, 100_000)],
    )
    application = advance(personas, application, ApplicationState.IN_REVIEW)
    with pytest.raises(Conflict) as refused:
        _accept(personas, application)
    assert refused.value.code == "incomplete"
    assert "工作方案" in str(refused.value.message) and "申请材料" in str(refused.value.message)


def test_assist_work_cannot_be_approved_without_funding_for_every_community_fees_follow_tasks(
    personas,
):
    application = make_application(
        personas.dept_clerk, scope=[(ZHONGGULOU, 1_000_000), (JIANDAOJIE, 0)]
    )
    application = advance(personas, application, ApplicationState.AWAITING_DECISION)
    with pytest.raises(Conflict) as refused:
        decide(personas, application, DecisionOutcome.APPROVE)
    assert refused.value.code == "unfunded" and "箭道街社区" in str(refused.value.message)
    assert not Admission.objects.exists()
    # Approving only the funded part of the scope is allowed.
    with pytest.raises(InvalidInput):
        decide(
            personas, application, DecisionOutcome.APPROVE_PART, part_regions=[ZHONGGULOU, XILIN]
        )
    application = decide(
        personas, application, DecisionOutcome.APPROVE_PART, part_regions=[ZHONGGULOU]
    )
    admission = application.admissions.get()
    assert list(admission.scope.values_list("region_id", flat=True)) == [ZHONGGULOU]


def test_duty_work_needs_no_funding(personas):
    application = make_application(
        personas.dept_clerk, values={"list_kind": "duty"}, scope=[(ZHONGGULOU, 0)]
    )
    application = advance(personas, application, ApplicationState.APPROVED)
    assert application.admissions.get().scope.get().funding_fen == 0


def test_a_department_cannot_review_or_decide_its_own_application(personas, application):
    from jianfu.org.services import account_create

    insider = account_create(
        actor=None,
        username="insider",
        display_name="民政局兼审",
        unit=personas.dept_clerk.unit,
        roles=["review_officer"],
        password="Persona-Pass-2026",
        granted_by_command=True,
    )
    application = advance(personas, application, ApplicationState.SUBMITTED)
    with pytest.raises(Forbidden):
        services.application_transition(
            actor=insider, application=application, action="start_review"
        )
    assert not services.may_act(insider, application, "start_review")
    assert services.may_act(personas.review_officer, application, "start_review")


def test_consultation_closes_only_at_the_deadline_or_when_everyone_has_answered(
    personas, application
):
    application = advance(personas, application, ApplicationState.IN_CONSULTATION)
    invited = set(
        Opinion.objects.filter(consultation__application=application).values_list(
            "region_id", flat=True
        )
    )
    # The two communities in scope and their street are asked.
    assert invited == {ZHONGGULOU, JIANDAOJIE, CHENGDONG}
    with pytest.raises(Conflict) as refused:
        services.application_transition(
            actor=personas.group_secretary, application=application, action="close_consultation"
        )
    assert refused.value.code == "consultation_open"
    consultation = application.consultations.get()
    consultation.deadline = timezone.localdate()
    consultation.save(update_fields=["deadline"])
    application = services.application_transition(
        actor=personas.group_secretary, application=application, action="close_consultation"
    )
    assert application.state == ApplicationState.AWAITING_DECISION


def test_every_disagreeing_opinion_must_be_answered_in_the_decision(personas, application):
    application = advance(personas, application, ApplicationState.IN_CONSULTATION)
    services.opinion_give(
        actor=personas.community_officer,
        application=application,
        region=Region.objects.get(code=ZHONGGULOU),
        verdict=OpinionVerdict.DISAGREE,
        text="社区仅 5 名工作人员，无力承担。",
    )
    answer_all(personas, application.__class__.objects.get(pk=application.pk))
    Opinion.objects.filter(region_id=ZHONGGULOU).update(verdict=OpinionVerdict.DISAGREE)
    application = services.application_transition(
        actor=personas.group_secretary, application=application, action="close_consultation"
    )
    with pytest.raises(Conflict) as refused:
        decide(personas, application, DecisionOutcome.APPROVE)
    assert refused.value.code == "opinions_unanswered" and "钟鼓楼社区" in str(
        refused.value.message
    )
    opinion = Opinion.objects.get(region_id=ZHONGGULOU)
    application = decide(
        personas,
        application,
        DecisionOutcome.APPROVE_WITH_CONDITIONS,
        conditions="区民政局每季度派员驻点指导。",
        responses={opinion.pk: "由区民政局派员驻点，并按 1 万元/年拨付经费。"},
    )
    opinion.refresh_from_db()
    assert opinion.response.startswith("由区民政局派员驻点")
    assert application.admissions.get().conditions == "区民政局每季度派员驻点指导。"


def test_approval_needs_a_consultation_but_rejection_does_not(personas, application):
    application = advance(personas, application, ApplicationState.IN_REVIEW)
    application = _accept(personas, application)
    with pytest.raises(Conflict) as refused:
        decide(personas, application, DecisionOutcome.APPROVE)
    assert refused.value.code == "consultation_required"
    application = decide(personas, application, DecisionOutcome.REJECT)
    assert application.state == ApplicationState.REJECTED
    assert not Admission.objects.exists()


def test_purchase_of_services_signs_a_contract_and_admits_nothing(personas, application):
    application = advance(personas, application, ApplicationState.AWAITING_DECISION)
    with pytest.raises(InvalidInput):
        decide(personas, application, DecisionOutcome.PURCHASE_SERVICES, purchase={})
    application = decide(
        personas,
        application,
        DecisionOutcome.PURCHASE_SERVICES,
        purchase={
            "provider": "市中区社会工作服务中心",
            "value_fen": 12_000_000,
            "term_from": dt.date(2026, 1, 1),
            "term_until": dt.date(2026, 12, 31),
            "deliverables": "高龄津贴申领代办，每月服务报告。",
        },
    )
    assert application.state == ApplicationState.REJECTED
    assert application.decision.purchase.provider == "市中区社会工作服务中心"
    # Purchased services never become a community's task: there is nothing to dispatch against.
    assert not Admission.objects.exists()


def test_approval_issues_a_numbered_admission_to_year_end_with_an_agreement(
    personas, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = advance(personas, application, ApplicationState.APPROVED)
    admission = application.admissions.get()
    year = timezone.localdate().year
    assert admission.number == f"市中准〔{year}〕1号"
    assert admission.valid_until == dt.date(year, 12, 31)
    assert admission.status_on(timezone.localdate()) == AdmissionState.ACTIVE
    assert admission.status_on(dt.date(year + 1, 1, 1)) == AdmissionState.EXPIRED
    assert (
        bytes(admission.agreement_pdf).startswith(b"%PDF") and len(admission.agreement_sha256) == 64
    )
    second = advance(personas, make_application(personas.dept_clerk), ApplicationState.APPROVED)
    assert second.admissions.get().number == f"市中准〔{year}〕2号"


def test_the_number_format_follows_the_district_setting(personas, application):
    AdmissionSettings.objects.create(
        district=Region.objects.get(code="511002000000"), number_prefix="内市中"
    )
    admission = advance(personas, application, ApplicationState.APPROVED).admissions.get()
    assert admission.number.startswith("内市中准〔")


def test_every_transition_is_recorded_and_audited(personas, application):
    application = advance(personas, application, ApplicationState.APPROVED)
    actions = list(application.events.values_list("action", flat=True))
    assert actions == [
        "create",
        "send_for_signoff",
        "sign_off",
        "start_review",
        "accept",
        "open_consultation",
        "close_consultation",
        "decide",
    ]
    audited = set(
        AuditRecord.objects.filter(object_id=str(application.pk)).values_list("action", flat=True)
    )
    assert {"admission.sign_off", "admission.decide", "admission.accept"} <= audited


def test_each_step_notifies_whoever_acts_next(
    personas, application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        advance(personas, application, ApplicationState.SUBMITTED)
    assert Notification.objects.filter(recipient=personas.dept_head).exists()
    assert Notification.objects.filter(recipient=personas.review_officer).exists()
    assert not Notification.objects.filter(recipient=personas.street_officer).exists()


def test_a_returned_application_can_be_corrected_and_sent_again(personas, application):
    application = advance(personas, application, ApplicationState.IN_REVIEW)
    with pytest.raises(InvalidInput):
        services.application_transition(
            actor=personas.review_officer, application=application, action="return"
        )
    application = services.application_transition(
        actor=personas.review_officer,
        application=application,
        action="return",
        comment="请补充上级文件原件。",
    )
    application = services.application_update(
        actor=personas.dept_clerk,
        application=application,
        values={"higher_document_title": "关于做好高龄津贴发放工作的通知"},
    )
    application = services.application_transition(
        actor=personas.dept_clerk, application=application, action="send_for_signoff"
    )
    assert application.state == ApplicationState.AWAITING_SIGNOFF


def test_only_draft_or_returned_applications_can_be_changed(personas, application):
    application = advance(personas, application, ApplicationState.SUBMITTED)
    with pytest.raises(Conflict):
        services.application_update(
            actor=personas.dept_clerk, application=application, values={"title": "改名"}
        )


def test_scope_must_lie_in_the_district_at_the_target_level(personas):
    with pytest.raises(InvalidInput):
        make_application(personas.dept_clerk, scope=[(CHENGDONG, 100)])
    with pytest.raises(InvalidInput):
        make_application(personas.dept_clerk, scope=[("320303001001", 100)])


def test_documents_are_checked_and_hashed(personas, application):
    with pytest.raises(InvalidInput, match="扩展名"):
        services.application_attach(
            actor=personas.dept_clerk,
            application=application,
            kind="other",
            name="方案.pdf",
            content=b"MZ not a pdf",
        )
    with pytest.raises(InvalidInput):
        services.application_attach(
            actor=personas.dept_clerk,
            application=application,
            kind="other",
            name="run.exe",
            content=b"MZ",
        )
    document = application.documents.get()
    assert document.sha256 == __import__("hashlib").sha256(b"%PDF-1.4 test document").hexdigest()
    with pytest.raises(Forbidden):
        services.application_attach(
            actor=personas.street_officer,
            application=application,
            kind="other",
            name="x.pdf",
            content=b"%PDF",
        )


def test_only_invited_streets_and_communities_give_opinions_once(personas, application):
    application = advance(personas, application, ApplicationState.IN_CONSULTATION)
    with pytest.raises(Forbidden):
        services.opinion_give(
            actor=personas.community_officer2,
            application=application,
            region=Region.objects.get(code=XILIN),
            verdict=OpinionVerdict.AGREE,
        )
    with pytest.raises(Forbidden):
        services.opinion_give(
            actor=personas.community_officer2,
            application=application,
            region=Region.objects.get(code=ZHONGGULOU),
            verdict=OpinionVerdict.AGREE,
        )
    kwargs = {
        "actor": personas.street_officer,
        "application": application,
        "region": Region.objects.get(code=CHENGDONG),
        "verdict": OpinionVerdict.AGREE,
    }
    services.opinion_give(**kwargs)
    with pytest.raises(Conflict):
        services.opinion_give(**kwargs)


def test_revocation_suspension_and_renewal(personas, application):
    admission = advance(personas, application, ApplicationState.APPROVED).admissions.get()
    with pytest.raises(Forbidden):
        services.admission_change_state(
            actor=personas.dept_clerk, admission=admission, move="suspend", reason="x"
        )
    services.admission_change_state(
        actor=personas.group_secretary, admission=admission, move="suspend", reason="经费未到位"
    )
    services.admission_change_state(
        actor=personas.group_secretary, admission=admission, move="resume", reason="经费已到位"
    )
    renewal = services.admission_renew(
        actor=personas.group_secretary,
        admission=admission,
        valid_until=dt.date(admission.year + 1, 12, 31),
        reason="年度续期",
    )
    assert renewal.previous == admission and renewal.number != admission.number
    assert renewal.valid_from == dt.date(admission.year + 1, 1, 1)
    assert renewal.scope.count() == admission.scope.count()
    with pytest.raises(InvalidInput, match="决定文号"):
        services.admission_change_state(
            actor=personas.group_secretary, admission=admission, move="revoke", reason="评议不满意"
        )
    services.admission_change_state(
        actor=personas.group_secretary,
        admission=admission,
        move="revoke",
        reason="群众满意率不过半数",
        reference="市中减负〔2026〕2号",
    )
    admission.refresh_from_db()
    assert admission.state == AdmissionState.REVOKED


def test_a_provisional_admission_lapses_unless_filed_properly(personas):
    department = personas.dept_clerk.unit
    with pytest.raises(InvalidInput, match="90"):
        services.admission_issue_provisional(
            actor=personas.group_secretary,
            department=department,
            title="防汛应急排查",
            content="汛期逐户排查危房",
            target_level="community",
            regions=[ZHONGGULOU],
            reason="特大暴雨",
            days=120,
        )
    provisional = services.admission_issue_provisional(
        actor=personas.group_secretary,
        department=department,
        title="防汛应急排查",
        content="汛期逐户排查危房",
        target_level="community",
        regions=[ZHONGGULOU],
        reason="特大暴雨",
        days=30,
    )
    assert provisional.provisional
    assert provisional.valid_until == timezone.localdate() + dt.timedelta(days=29)
    assert provisional.status_on(timezone.localdate() + dt.timedelta(days=30)) == "expired"
    with pytest.raises(Forbidden):
        services.admission_issue_provisional(
            actor=personas.dept_clerk,
            department=department,
            title="x",
            content="x",
            target_level="community",
            regions=[ZHONGGULOU],
            reason="x",
        )
    regular = make_application(personas.dept_clerk, scope=[(ZHONGGULOU, 500_000)])
    regular.regularises = provisional
    regular.save(update_fields=["regularises"])
    admission = advance(personas, regular, ApplicationState.APPROVED).admissions.get()
    provisional.refresh_from_db()
    assert admission.previous == provisional and provisional.state == AdmissionState.EXPIRED


def test_burden_budget_warns_and_one_in_one_out_offsets(personas):
    CommunityCapacity.objects.create(community_id=ZHONGGULOU, workers=1, hours_per_year=50)
    application = make_application(personas.dept_clerk, scope=[(ZHONGGULOU, 100_000)])
    (row,) = application_burden(application)
    assert row["capacity"] == 50 and row["before"] == 0 and row["after"] == 60 and row["over"]
    assert not row["offset"]
    settings = services.settings_for(application.district)
    settings.capacity_blocks = True
    settings.save(update_fields=["capacity_blocks"])
    application = advance(personas, application, ApplicationState.AWAITING_DECISION)
    with pytest.raises(Conflict) as refused:
        decide(personas, application, DecisionOutcome.APPROVE)
    assert refused.value.code == "over_capacity"
    settings.capacity_blocks = False
    settings.save(update_fields=["capacity_blocks"])
    old = decide(personas, application, DecisionOutcome.APPROVE).admissions.get()
    # A new application retiring the old admission of equal hours is "one in, one out".
    successor = make_application(personas.dept_clerk, scope=[(ZHONGGULOU, 100_000)])
    successor.retires.add(old)
    (row,) = application_burden(successor)
    assert row["before"] == 60 and row["after"] == 60 and row["offset"]
    settings.capacity_blocks = True
    settings.save(update_fields=["capacity_blocks"])
    admission = advance(personas, successor, ApplicationState.APPROVED).admissions.get()
    old.refresh_from_db()
    assert old.state == AdmissionState.REVOKED and admission.number in old.state_reason


def test_a_proposed_item_joins_its_list_next_version(personas, duty_list):
    application = make_application(
        personas.dept_clerk,
        values={"catalog_list": duty_list, "proposed_item_name": "协助开展高龄津贴申领初审"},
    )
    admission = advance(personas, application, ApplicationState.APPROVED).admissions.get()
    draft = duty_list.versions.get(status="draft")
    item = draft.items.get(key=admission.item_key)
    assert item.name == "协助开展高龄津贴申领初审"
    assert admission.number in draft.changes.get(item_key=item.key).reason


def test_the_department_sees_its_application_and_others_do_not(personas, application):
    from jianfu.admission.selectors import applications_visible_to

    assert application in applications_visible_to(user=personas.dept_clerk)
    # Drafts stay inside the department.
    assert application not in applications_visible_to(user=personas.review_officer)
    assert application not in applications_visible_to(user=personas.community_officer)
    application = advance(personas, application, ApplicationState.IN_CONSULTATION)
    assert application in applications_visible_to(user=personas.review_officer)
    assert application in applications_visible_to(user=personas.community_officer)
    assert application not in applications_visible_to(user=personas.community_officer2)
    assert application not in applications_visible_to(user=personas.street_officer2)


def test_only_the_districts_review_office_reviews_not_another_department(personas, application):
    from jianfu.org.models import Unit
    from jianfu.org.services import account_create

    other_department = account_create(
        actor=None,
        username="rsj_reviewer",
        display_name="人社局兼审",
        unit=Unit.objects.get(name="市中区人社局"),
        roles=["review_officer", "group_secretary"],
        password="Persona-Pass-2026",
        granted_by_command=True,
    )
    application = advance(personas, application, ApplicationState.SUBMITTED)
    assert not services.may_act(other_department, application, "start_review")
    with pytest.raises(Forbidden):
        services.application_transition(
            actor=other_department, application=application, action="start_review"
        )


def test_control_characters_are_dropped_from_document_names(personas, application):
    document = services.application_attach(
        actor=personas.dept_clerk,
        application=application,
        kind="other",
        name="方案\r\nSet-Cookie: x.pdf",
        content=b"%PDF-1.4",
    )
    assert document.name == "方案Set-Cookie: x.pdf"


def test_fees_follow_tasks_for_every_kind_of_work_but_a_communitys_own_duties(personas):
    application = make_application(
        personas.dept_clerk, values={"list_kind": "devolved"}, scope=[(ZHONGGULOU, 0)]
    )
    application = advance(personas, application, ApplicationState.AWAITING_DECISION)
    with pytest.raises(Conflict) as refused:
        decide(personas, application, DecisionOutcome.APPROVE)
    assert refused.value.code == "unfunded"
    with pytest.raises(InvalidInput):
        make_application(personas.dept_clerk, values={"list_kind": "negative"})


def test_the_list_kind_is_the_kind_of_the_list_cited(personas, duty_list):
    application = make_application(
        personas.dept_clerk, values={"list_kind": "assist", "catalog_list": duty_list}
    )
    assert application.list_kind == "duty"


def test_an_admission_cannot_be_dated_before_the_consultation_closed(personas, application):
    application = advance(personas, application, ApplicationState.AWAITING_DECISION)
    with pytest.raises(InvalidInput):
        decide(personas, application, DecisionOutcome.APPROVE, meeting_date=days_ago(400))
    assert not Admission.objects.exists()


def test_the_consultation_leaves_the_streets_at_least_the_districts_period(personas, application):
    application = advance(personas, application, ApplicationState.IN_REVIEW)
    application = _accept(personas, application)
    with pytest.raises(InvalidInput, match="工作日"):
        services.application_transition(
            actor=personas.group_secretary,
            application=application,
            action="open_consultation",
            deadline=timezone.localdate() + dt.timedelta(days=1),
        )


def test_changing_the_target_level_checks_the_scope_again(personas, application):
    with pytest.raises(InvalidInput):
        services.application_update(
            actor=personas.dept_clerk, application=application, values={"target_level": "street"}
        )
    application.refresh_from_db()
    assert application.target_level == "community"


def test_a_returned_application_has_no_review_deadline_left(personas, application):
    application = advance(personas, application, ApplicationState.IN_REVIEW)
    application = services.application_transition(
        actor=personas.review_officer, application=application, action="return", comment="补材料"
    )
    assert application.stage_due is None


def test_provisional_admissions_cannot_be_chained(personas):
    kwargs = {
        "actor": personas.group_secretary,
        "department": personas.dept_clerk.unit,
        "title": "防汛应急排查",
        "content": "逐户排查",
        "target_level": "community",
        "regions": [ZHONGGULOU],
        "reason": "暴雨预警",
        "days": 30,
    }
    services.admission_issue_provisional(**kwargs)
    with pytest.raises(Conflict) as refused:
        services.admission_issue_provisional(**kwargs)
    assert refused.value.code == "provisional_repeated"


def test_retiring_an_admission_no_longer_in_force_frees_no_hours(personas):
    CommunityCapacity.objects.create(community_id=ZHONGGULOU, workers=1, hours_per_year=50)
    old = advance(
        personas, make_application(personas.dept_clerk, scope=[(ZHONGGULOU, 100)]), "approved"
    ).admissions.get()
    Admission.objects.filter(pk=old.pk).update(valid_until=days_ago(1), valid_from=days_ago(30))
    successor = make_application(personas.dept_clerk, scope=[(ZHONGGULOU, 100)])
    successor.retires.add(old)
    (row,) = application_burden(successor)
    assert row["before"] == 0 and row["after"] == 60 and row["over"] and not row["offset"]


def test_a_renewal_meets_the_gate_again(personas, application):
    admission = advance(personas, application, ApplicationState.APPROVED).admissions.get()
    admission.scope.filter(region_id=JIANDAOJIE).update(funding_fen=0)
    with pytest.raises(Conflict) as refused:
        services.admission_renew(
            actor=personas.group_secretary,
            admission=admission,
            valid_until=dt.date(admission.year + 1, 12, 31),
            reason="年度续期",
        )
    assert refused.value.code == "unfunded"
    _negative_list(personas, ["高龄津贴"])
    admission.scope.update(funding_fen=100)
    with pytest.raises(Conflict) as refused:
        services.admission_renew(
            actor=personas.group_secretary,
            admission=admission,
            valid_until=dt.date(admission.year + 1, 12, 31),
            reason="年度续期",
        )
    assert refused.value.code == "negative_list"
