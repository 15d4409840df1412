"""Demo tasks in 内江市市中区, sent, answered and withdrawn through the real services.

Loaded after the admission demo, whose admissions the tasks cite. 区民政局 sends work under its
approved admissions (accepted, in progress, completed, a refusal waiting for 城东街道's review),
under a community duty item, under a revoked and an expired admission, and to the whole district
beyond an admission's scope (西林社区 refuses its copy in one click); it withdraws one task. 区住建局
asks the communities to help with 招商引资, which has no admission and is on the negative list;
钟鼓楼社区 refuses it and a refusal notice (不予受理告知书) goes back to 区住建局.

A late completion is not in the demo: the services accept only deadlines from today on, and
completing a task after its deadline needs the deadline to pass.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from jianfu.admission.models import Admission
from jianfu.dispatch import services
from jianfu.dispatch.models import Delivery, Task
from jianfu.org.models import Unit, User
from jianfu.org.roles import Role
from jianfu.org.services import account_create

DISTRICT = "511002000000"  # 市中区
CHENGDONG = "511002001000"  # 城东街道: 钟鼓楼社区, 箭道街社区
CHENGXI = "511002002000"  # 城西街道: 西林社区, 桂湖街社区
ZHONGGULOU, JIANDAOJIE = "511002001001", "511002001002"
XILIN = "511002002001"

# Accounts the tasks need beyond the personas: a clerk of a second department, and an officer
# for 箭道街社区 so that both communities of 城东街道 can answer.
SZQ_ACCOUNTS = [
    ("szq_zj_clerk", Role.DEPT_CLERK, "市中区住建局"),
    ("szq_jdj_officer", Role.COMMUNITY_OFFICER, "箭道街社区居民委员会"),
]
CIVIL_AFFAIRS = "市中区民政局"


def _values(title: str, content: str, days: int, *outputs: tuple[str, str]) -> dict:
    return {
        "title": title,
        "content": content,
        "deadline": timezone.localdate() + dt.timedelta(days=days),
        "outputs": [{"kind": kind, "name": name} for kind, name in outputs],
    }


class _Demo:
    def __init__(self, people: dict[str, User]):
        self.people = people

    def send(self, clerk: str, values: dict, recipients: list[str], **basis) -> Task:
        return services.task_dispatch(
            actor=self.people[clerk], values=values, recipients=recipients, **basis
        )

    def act(self, who: str, task: Task, code: str, action: str, **fields) -> Delivery:
        delivery = task.deliveries.select_related("task").get(region_id=code)
        return services.delivery_act(
            actor=self.people[who], delivery=delivery, action=action, **fields
        )


def _admission(title: str) -> Admission:
    return Admission.objects.get(title=title, department__name=CIVIL_AFFAIRS)


@transaction.atomic
def dispatch_demo_load(*, password: str) -> list[tuple[str, str, str]]:
    """Demo tasks; returns the extra login rows (username, role label, unit) to print.

    Loads nothing if any task exists, so running it again adds no duplicates.
    """
    if Task.objects.exists():
        return []
    units = {u.name: u for u in Unit.objects.filter(district_code=DISTRICT)}
    people = {u.username: u for u in User.objects.select_related("unit__region")}
    rows = []
    for username, role, unit_name in SZQ_ACCOUNTS:
        people[username] = account_create(
            actor=None,
            username=username,
            display_name=f"{Role(role).label}（市中演示）",
            unit=units[unit_name],
            roles=[role],
            password=password,
            granted_by_command=True,
        )
        rows.append((username, str(Role(role).label), unit_name))
    # Reloaded so that each account's unit and region are at hand for the services.
    people = {u.username: u for u in User.objects.select_related("unit__region")}
    _shizhong(_Demo(people))
    return rows


def _shizhong(demo: _Demo) -> None:
    elderly = _admission("高龄津贴申领初审")  # 钟鼓楼社区 and 箭道街社区, funded
    disability = _admission("残疾人两项补贴申请受理")  # all four communities, funded

    # Admitted: accepted and in progress at 钟鼓楼社区, completed at 箭道街社区.
    collection = demo.send(
        "dept_clerk",
        _values(
            "高龄津贴申领材料收集",
            "收集辖区 80 周岁以上老人的高龄津贴申领材料，核对户籍与年龄后报区民政局。",
            20,
            ("form", "高龄津贴申领汇总表"),
        ),
        [ZHONGGULOU, JIANDAOJIE],
        admission_number=elderly.number,
    )
    demo.act("community_officer", collection, ZHONGGULOU, "accept")
    demo.act(
        "community_officer",
        collection,
        ZHONGGULOU,
        "progress",
        percent=60,
        note="已收集 42 户材料，余下 28 户预约本周上门。",
    )
    demo.act("szq_jdj_officer", collection, JIANDAOJIE, "accept")
    demo.act(
        "szq_jdj_officer",
        collection,
        JIANDAOJIE,
        "complete",
        note="36 户材料已收齐，汇总表已报区民政局。",
    )

    # The whole district under an admission for 城东街道 only: 城西街道's communities are outside
    # its scope, and 西林社区 refuses its copy in one click.
    survey = demo.send(
        "dept_clerk",
        _values(
            "高龄津贴发放情况入户核对",
            "逐户核对高龄津贴发放到账情况，发现未到账的登记后报区民政局。",
            25,
            ("ledger", "高龄津贴发放核对台账"),
        ),
        [DISTRICT],
        admission_number=elderly.number,
    )
    demo.act("community_officer2", survey, XILIN, "refuse")

    # 区住建局 asks the communities to help with investment promotion: no admission, and the work
    # is on 市中区's negative list. 钟鼓楼社区 refuses it; 箭道街社区 has not answered yet.
    investment = demo.send(
        "szq_zj_clerk",
        _values(
            "协助开展招商引资项目信息摸排",
            "请各社区摸排辖区闲置楼宇和商铺信息，配合完成招商引资、项目引进等经济指标任务，"
            "每月报送意向企业线索。",
            15,
            ("form", "辖区闲置楼宇商铺信息表"),
            ("report", "招商线索月报"),
        ),
        [CHENGDONG],
    )
    demo.act("community_officer", investment, ZHONGGULOU, "refuse")

    # A community's own duty, cited from 市中区社区两委职责清单: admitted without an admission.
    consultation = demo.send(
        "dept_clerk",
        _values(
            "社区民主协商议事情况报告",
            "各社区报告本年度开展社区民主协商的次数、议题和办理结果。",
            30,
            ("report", "年度社区民主协商工作报告"),
        ),
        [CHENGXI],
        duty_item="SZ-ZZ-010",
    )
    demo.act("community_officer2", consultation, XILIN, "accept")

    # Citing admissions no longer in force: one revoked, one expired last year.
    demo.send(
        "dept_clerk",
        _values(
            "殡葬改革宣传台账更新",
            "更新社区殡葬改革宣传台账，补录本季度宣传活动照片和签到表。",
            10,
            ("ledger", "殡葬改革宣传台账"),
        ),
        [CHENGDONG],
        admission_number=_admission("社区殡葬改革宣传台账").number,
    )
    demo.send(
        "dept_clerk",
        _values(
            "困难群众走访慰问情况补报",
            "补报困难群众走访慰问名单、慰问金发放签收表和走访照片。",
            10,
            ("form", "走访慰问情况统计表"),
        ),
        [ZHONGGULOU, JIANDAOJIE],
        admission_number=_admission("冬季困难群众走访慰问").number,
    )

    # Admitted work refused with a reason: waiting for 城东街道's review.
    subsidies = demo.send(
        "dept_clerk",
        _values(
            "残疾人两项补贴申请集中受理",
            "组织辖区残疾人集中受理两项补贴申请，初审材料后报区民政局。",
            20,
            ("form", "两项补贴申请受理登记表"),
        ),
        [CHENGDONG],
        admission_number=disability.number,
    )
    demo.act(
        "community_officer",
        subsidies,
        ZHONGGULOU,
        "refuse",
        reason="本月全体工作人员参加汛期危房排查，无力组织集中受理，请改期或由区民政局派员。",
    )

    # Withdrawn by the department after 西林社区 had accepted it.
    review = demo.send(
        "dept_clerk",
        _values(
            "残疾人两项补贴年度复核",
            "对享受两项补贴的残疾人逐一复核资格，填报复核结果。",
            30,
            ("form", "两项补贴年度复核表"),
        ),
        [CHENGXI],
        admission_number=disability.number,
    )
    demo.act("community_officer2", review, XILIN, "accept")
    services.task_cancel(
        actor=demo.people["dept_clerk"],
        task=review,
        reason="与区残联年度复核工作重复，改由区残联统一组织。",
    )
