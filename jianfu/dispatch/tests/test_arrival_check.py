"""The arrival check: every reason a delivery fails, each on its own and several together."""

import datetime as dt

import pytest

from jianfu.admission import services as admission_services
from jianfu.admission.models import AdmissionScope, AdmissionState
from jianfu.core.errors import InvalidInput
from jianfu.dispatch.models import Reason
from jianfu.dispatch.tests.conftest import (
    CHENGDONG,
    CHENGXI,
    DISTRICT,
    GUIHUJIE,
    JIANDAOJIE,
    XILIN,
    ZHONGGULOU,
    dispatch,
)
from jianfu.org.models import Unit


def reasons_by_region(task):
    return {d.region_id: d.reasons for d in task.deliveries.all()}


@pytest.mark.django_db
def test_task_citing_a_valid_admission_within_its_scope_is_admitted(personas, admission):
    task = dispatch(
        personas.dept_clerk,
        recipients=[ZHONGGULOU, JIANDAOJIE],
        admission_number=admission.number,
    )
    assert reasons_by_region(task) == {ZHONGGULOU: [], JIANDAOJIE: []}
    assert task.recipients_total == 2 and task.unadmitted_total == 0
    assert all(d.admitted and d.admitted_on_arrival for d in task.deliveries.all())


@pytest.mark.django_db
def test_admission_number_that_does_not_exist_is_unadmitted(personas):
    task = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU], admission_number="市中准〔2026〕999号"
    )
    assert reasons_by_region(task) == {ZHONGGULOU: [Reason.NO_ADMISSION]}
    assert task.admission is None and task.admission_number == "市中准〔2026〕999号"


@pytest.mark.django_db
def test_task_citing_nothing_is_unadmitted(personas):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU])
    assert reasons_by_region(task) == {ZHONGGULOU: [Reason.NO_BASIS]}


@pytest.mark.django_db
def test_recipient_outside_the_admissions_scope_is_unadmitted(personas, admission):
    task = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU, XILIN], admission_number=admission.number
    )
    assert reasons_by_region(task) == {ZHONGGULOU: [], XILIN: [Reason.OUTSIDE_SCOPE]}
    assert task.unadmitted_total == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (AdmissionState.REVOKED, Reason.ADMISSION_REVOKED),
        (AdmissionState.SUSPENDED, Reason.ADMISSION_SUSPENDED),
    ],
)
def test_admission_that_is_not_active_makes_the_task_unadmitted(personas, admission, state, reason):
    admission.state = state
    admission.save(update_fields=["state"])
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    assert reasons_by_region(task) == {ZHONGGULOU: [reason]}


@pytest.mark.django_db
def test_expired_admission_makes_the_task_unadmitted(personas, admission):
    admission.valid_from, admission.valid_until = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    admission.save(update_fields=["valid_from", "valid_until"])
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    assert reasons_by_region(task) == {ZHONGGULOU: [Reason.ADMISSION_EXPIRED]}
    assert task.check_details["admission"]["valid_until"] == "2024-12-31"


@pytest.mark.django_db
def test_admission_not_yet_in_force_makes_the_task_unadmitted(personas, admission):
    admission.valid_from = admission.valid_until - dt.timedelta(days=1)
    admission.valid_until = admission.valid_from + dt.timedelta(days=400)
    admission.save(update_fields=["valid_from", "valid_until"])
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    assert reasons_by_region(task) == {ZHONGGULOU: [Reason.ADMISSION_NOT_YET_VALID]}


@pytest.mark.django_db
def test_task_from_another_department_than_the_admissions_is_unadmitted(personas, admission):
    admission.department = Unit.objects.get(name="市中区卫健局")
    admission.save(update_fields=["department"])
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=admission.number)
    assert reasons_by_region(task) == {ZHONGGULOU: [Reason.OTHER_DEPARTMENT]}


@pytest.mark.django_db
def test_admission_without_money_for_the_community_is_unadmitted_fees_follow_tasks(
    personas, admission
):
    AdmissionScope.objects.filter(admission=admission, region_id=JIANDAOJIE).update(funding_fen=0)
    task = dispatch(
        personas.dept_clerk, recipients=[ZHONGGULOU, JIANDAOJIE], admission_number=admission.number
    )
    assert reasons_by_region(task) == {ZHONGGULOU: [], JIANDAOJIE: [Reason.UNFUNDED]}


@pytest.mark.django_db
def test_work_on_the_negative_list_is_unadmitted_whatever_it_cites(
    personas, admission, negative_list
):
    task = dispatch(
        personas.dept_clerk,
        recipients=[ZHONGGULOU],
        admission_number=admission.number,
        title="协助开展招商引资项目摸排",
    )
    assert reasons_by_region(task) == {ZHONGGULOU: [Reason.NEGATIVE_LIST]}
    assert task.check_details["negative"] == [
        {"list": "市中区社区工作事项负面清单", "entry": "招商引资、项目引进等经济指标任务"}
    ]


@pytest.mark.django_db
def test_duty_item_on_the_communitys_duty_list_is_admitted(personas, duty_list):
    item = duty_list.versions.get().items.get(code="SZQ-ZZ-002")
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU, XILIN], duty_item=str(item.key))
    assert reasons_by_region(task) == {ZHONGGULOU: [], XILIN: []}
    assert task.duty_item_name == "调解民间纠纷"


@pytest.mark.django_db
def test_duty_item_cited_by_its_code(personas, duty_list):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], duty_item="SZQ-ZZ-001")
    assert reasons_by_region(task) == {ZHONGGULOU: []}


@pytest.mark.django_db
def test_duty_item_cited_for_a_street_is_not_on_its_duty_list(personas, duty_list):
    item = duty_list.versions.get().items.get(code="SZQ-ZZ-002")
    task = dispatch(
        personas.dept_clerk, recipients=[CHENGDONG], duty_item=str(item.key), level="street"
    )
    assert reasons_by_region(task) == {CHENGDONG: [Reason.DUTY_NOT_LISTED]}


@pytest.mark.django_db
def test_item_of_a_list_that_is_not_a_duty_list_cited_as_duty_is_unadmitted(
    personas, negative_list
):
    item = negative_list.versions.get().items.get(name="协税护税")
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], duty_item=str(item.key))
    assert reasons_by_region(task) == {ZHONGGULOU: [Reason.NEGATIVE_LIST, Reason.DUTY_NOT_LISTED]}


@pytest.mark.django_db
def test_several_reasons_are_all_given_not_just_the_first(personas, admission, negative_list):
    admission.state = AdmissionState.SUSPENDED
    admission.department = Unit.objects.get(name="市中区卫健局")
    admission.save(update_fields=["state", "department"])
    AdmissionScope.objects.filter(admission=admission, region_id=JIANDAOJIE).update(funding_fen=0)
    task = dispatch(
        personas.dept_clerk,
        recipients=[ZHONGGULOU, JIANDAOJIE, XILIN],
        admission_number=admission.number,
        content="请社区协助开展招商引资宣传。",
    )
    assert reasons_by_region(task) == {
        ZHONGGULOU: [Reason.ADMISSION_SUSPENDED, Reason.OTHER_DEPARTMENT, Reason.NEGATIVE_LIST],
        JIANDAOJIE: [
            Reason.ADMISSION_SUSPENDED,
            Reason.OTHER_DEPARTMENT,
            Reason.UNFUNDED,
            Reason.NEGATIVE_LIST,
        ],
        XILIN: [
            Reason.ADMISSION_SUSPENDED,
            Reason.OTHER_DEPARTMENT,
            Reason.OUTSIDE_SCOPE,
            Reason.NEGATIVE_LIST,
        ],
    }
    assert task.unadmitted_total == 3


@pytest.mark.django_db
def test_a_street_picks_its_communities_and_the_district_picks_them_all(personas, admission):
    street = dispatch(personas.dept_clerk, recipients=[CHENGXI], admission_number=admission.number)
    assert set(reasons_by_region(street)) == {XILIN, GUIHUJIE}
    district = dispatch(
        personas.dept_clerk, recipients=[DISTRICT], admission_number=admission.number
    )
    assert set(reasons_by_region(district)) == {ZHONGGULOU, JIANDAOJIE, XILIN, GUIHUJIE}
    assert district.unadmitted_total == 2


@pytest.mark.django_db
def test_bad_recipients_are_all_reported_and_nothing_is_sent(personas):
    from jianfu.dispatch.models import Task

    with pytest.raises(InvalidInput) as refused:
        dispatch(personas.dept_clerk, recipients=["511002009001", "320303001001", "12x"])
    assert "12x" in str(refused.value.message)
    with pytest.raises(InvalidInput) as refused:
        dispatch(personas.dept_clerk, recipients=["320303001001"])
    assert "320303001001" in str(refused.value.message)
    with pytest.raises(InvalidInput):
        dispatch(personas.dept_clerk, recipients=["511002009001"])
    with pytest.raises(InvalidInput):
        dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], level="street")
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_task_cannot_cite_both_an_admission_and_a_duty_item(personas, admission, duty_list):
    with pytest.raises(InvalidInput):
        dispatch(
            personas.dept_clerk,
            recipients=[ZHONGGULOU],
            admission_number=admission.number,
            duty_item="SZQ-ZZ-001",
        )


@pytest.mark.django_db
def test_unknown_duty_item_is_refused_with_a_clear_error(personas):
    with pytest.raises(InvalidInput, match="找不到职责事项"):
        dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], duty_item="NO-SUCH-ITEM")


@pytest.mark.django_db
def test_a_renewed_admission_still_covers_its_scope(personas, admission):
    renewal = admission_services.admission_renew(
        actor=personas.group_secretary,
        admission=admission,
        valid_until=admission.valid_until + dt.timedelta(days=365),
        reason="继续实施",
    )
    # The renewal starts after the current term ends, so today it is not yet in force.
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=renewal.number)
    assert reasons_by_region(task) == {ZHONGGULOU: [Reason.ADMISSION_NOT_YET_VALID]}


@pytest.mark.parametrize(
    ("entry", "terms"),
    [
        ("招商引资、项目引进等经济指标任务", ["招商引资", "项目引进"]),
        ("协税护税、代征代缴税费等工作任务", ["协税护税", "代征代缴税费"]),
        ("以社区名义开展行政执法和行政处罚", ["以社区名义开展行政执法和行政处罚"]),
        ("文明等级评比", ["文明等级评比"]),
        ("创建评比、文明等级评比", ["创建评比", "文明等级评比"]),
        ("招商引资等经济指标任务", ["招商引资"]),
        ("招商引资", ["招商引资"]),
    ],
)
def test_negative_list_entry_names_each_kind_of_work_it_enumerates(entry, terms):
    from jianfu.catalog.selectors import negative_terms

    assert negative_terms(entry) == terms


@pytest.mark.django_db
def test_task_naming_one_kind_of_work_of_an_enumerated_entry_is_on_the_negative_list(
    personas, negative_list
):
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], title="协助做好重点项目引进")
    assert reasons_by_region(task) == {ZHONGGULOU: [Reason.NO_BASIS, Reason.NEGATIVE_LIST]}


@pytest.mark.django_db
def test_emergency_admission_admits_work_before_its_money_is_found(personas):
    emergency = admission_services.admission_issue_provisional(
        actor=personas.group_secretary,
        department=Unit.objects.get(name="市中区民政局"),
        title="汛期危房住户应急排查",
        content="汛期排查辖区危房住户并协助转移。",
        target_level="community",
        regions=[ZHONGGULOU],
        reason="强降雨预警",
    )
    task = dispatch(personas.dept_clerk, recipients=[ZHONGGULOU], admission_number=emergency.number)
    assert reasons_by_region(task) == {ZHONGGULOU: []}
