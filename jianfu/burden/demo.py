"""Demo burden inventories, baselines and snapshots, entered through the real services by the
people whose job it is.

Loaded after the evaluation demo (it links entries to the admissions the earlier demos made).

徐州市云龙区, seed 002. The district's survey of its 71 communities (entered here as of
2015-12-31) found 圆梦社区 with 46 signboards and 151 ledger books, 晓光社区 31 and 168, 民安社区
10 and 141, more than 30 appraisal campaigns in each (several with 一票否决), four information
systems, and 242 tasks per community on average. The pilot communities (绿地南社区 too: the seed
names it without its own figures, so the demo gives it the district's average of 22 signboards)
cleaned up in 2016:

- every signboard came down but "委、居、站、办" (社区党支部、社区居委会、社区综合服务中心、
  社区综治办), the four of the district's new signboard list;
- campaigns went from 30-odd to 7, each now resting on an admission, and 一票否决 went;
- the paper ledgers of 25 categories became six electronic ledgers on the community platform or
  were dropped as duplicates, keeping only the residents' committee's own meeting records;
- the four systems were merged into one 社区公共服务综合信息平台 (seed 004's practice; seed 002
  says only that there were four). The platform is the district's own and rests on no admission:
  it is the one entry the index still flags.

The survey is each pilot's baseline; the inventory as it was, and each clean-up on its day, are
entries, so the figures of any day can be counted again (and the demo checks that the entries
give the survey's figures on the baseline day).

Tasks now are 95, as in the seed: the district's 30 community duties (its published duty list)
and its 65 assistance items, each admitted for the four pilots through the real procedure by the
department the list names. The demo adds the departments Jianfu did not have yet, and a clerk and
a head in each. The admissions are this year's (services issue admissions from today only): the
seed's admissions of 2016, renewed every year since.

内江市市中区: every community keeps an inventory. 钟鼓楼社区 hangs one signboard over the cap of
four and keeps a paper ledger the joint meeting refused to admit; 箭道街社区 still takes part in a
campaign with 一票否决; 西林社区 and 桂湖街社区 are clean. Three communities entered a survey
baseline on 1 January last year, and the group office took this year's snapshot of the district.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from jianfu.admission.demo import _Demo
from jianfu.admission.models import Admission, DecisionOutcome
from jianfu.burden import services
from jianfu.burden.index import burden_figures
from jianfu.burden.models import EntryKind, EntryStatus, InventoryEntry, LedgerMedium
from jianfu.catalog.demo import _load, _new_list, _publish, _rows
from jianfu.catalog.models import Item, ListKind, ListLevel, VersionStatus
from jianfu.org.models import Region, Unit, UnitType, User
from jianfu.org.roles import Role
from jianfu.org.services import account_create, unit_create

# ---------------------------------------------------------------------------------------------
# 徐州市云龙区 (seed 002)

YUNLONG = "320303000000"
TASKS_BEFORE, TASKS_AFTER = 242, 95
SYSTEMS_BEFORE = 4
WORKERS = 7  # seed 002: "平均仅有7人的社区"
BASELINE_DAY = dt.date(2015, 12, 31)
SURVEY = "2015年云龙区社区负担调研"
# The clean-up of 2016: signboards and campaigns first (the district's launch meeting was on 26
# June), the ledgers after the platform's electronic ledgers were ready, the systems at year end.
SIGNBOARD_LIST_DAY = dt.date(2016, 6, 26)
SIGNBOARDS_DOWN = dt.date(2016, 6, 30)
CAMPAIGNS_CUT = dt.date(2016, 6, 30)
PLATFORM_OPEN = dt.date(2016, 9, 1)
LEDGERS_DIGITISED = dt.date(2016, 9, 30)
SYSTEMS_MERGED = dt.date(2016, 12, 31)


@dataclass(frozen=True)
class Pilot:
    """A pilot community and what the survey counted there."""

    code: str
    name: str
    signboards: int
    ledger_books: int
    campaigns: int
    in_seed: bool = True


PILOTS = (
    Pilot("320303003002", "圆梦社区", 46, 151, 32),
    Pilot("320303002001", "晓光社区", 31, 168, 34),
    Pilot("320303003003", "民安社区", 10, 141, 31),
    # Named in seed 002 without its own counts: the district's average signboards, and
    # ledger books and campaigns in the others' range.
    Pilot("320303001001", "绿地南社区", 22, 146, 33, in_seed=False),
)
# The accounts that act in 云龙区: the group office (survey, caps, baselines, decisions), the
# review office, and 圆梦社区's officer, who keeps its inventory.
YUNLONG_ACCOUNTS = [
    ("yl_secretary", Role.GROUP_SECRETARY, "云龙区社区减负工作领导小组办公室"),
    ("yl_reviewer", Role.REVIEW_OFFICER, "云龙区委编办（准入办）"),
    ("yl_officer", Role.COMMUNITY_OFFICER, "圆梦社区居民委员会"),
]
# The departments the assistance list names: (as the list names it, the unit, username part).
DEPARTMENTS = [
    ("民政局", "云龙区民政局", "mz"),
    ("人社局", "云龙区人社局", "rs"),
    ("卫健局", "云龙区卫健局", "wj"),
    ("住建局", "云龙区住建局", "zj"),
    ("城管局", "云龙区城管局", "cg"),
    ("应急局", "云龙区应急局", "yj"),
    ("财政局", "云龙区财政局", "cz"),
    ("审计局", "云龙区审计局", "sj"),
    ("医保局", "云龙区医保局", "yb"),
    ("公安分局", "徐州市公安局云龙分局", "ga"),
    ("司法局", "云龙区司法局", "sf"),
    ("区委宣传部", "云龙区委宣传部", "xcb"),
    ("区委政法委", "云龙区委政法委", "zfw"),
    ("区委组织部", "云龙区委组织部", "zzb"),
    ("统计局", "云龙区统计局", "tj"),
    ("武装部", "云龙区人民武装部", "wzb"),
    ("教育局", "云龙区教育局", "jy"),
    ("区妇联", "云龙区妇联", "fl"),
    ("区残联", "云龙区残联", "cl"),
    ("退役军人事务局", "云龙区退役军人事务局", "tyjr"),
    ("生态环境局", "徐州市云龙生态环境局", "sthj"),
    ("团区委", "共青团云龙区委", "tqw"),
    ("区总工会", "云龙区总工会", "zgh"),
    ("市场监管局", "云龙区市场监管局", "scjg"),
    ("区人大常委会", "云龙区人大常委会", "rd"),
]
# Burden estimate of each admitted item (minutes each time, times a year) by the list's category.
ESTIMATES = {
    "民生保障": (40, 36),
    "社区平安": (60, 24),
    "城市管理": (45, 24),
    "社区建设": (90, 12),
    "党群工作": (60, 12),
    "企业服务": (30, 12),
    "综合保障": (60, 6),
    "其他": (120, 4),
}
# 费随事转: what each admitted item brings each pilot community a year, per hour of work (fen).
FEN_PER_HOUR = 6_000

# The district's new signboard list (2016): "委、居、站、办".
SIGNBOARD_LIST = (
    ("社区党支部", "党群工作", "《中国共产党章程》第三十条", "区委组织部", ()),
    ("社区居民委员会", "社区建设", "《中华人民共和国城市居民委员会组织法》第二条", "民政局", ()),
    (
        "社区综合服务中心",
        "社区建设",
        "《中华人民共和国城市居民委员会组织法》第三条",
        "民政局",
        (),
    ),
    (
        "社区综治办",
        "社区平安",
        "《中华人民共和国城市居民委员会组织法》第十三条",
        "区委政法委",
        (),
    ),
)
# Every signboard a pilot hung (the first four are the list's); a community with n boards hung
# the first n. (name, department as surveyed, year hung)
SIGNBOARDS = [
    ("社区党支部", "云龙区委组织部", 2003),
    ("社区居民委员会", "云龙区民政局", 2003),
    ("社区综合服务中心", "云龙区民政局", 2012),
    ("社区综治办", "云龙区委政法委", 2009),
    ("社区警务室", "徐州市公安局云龙分局", 2006),
    ("社区劳动保障工作站", "云龙区人社局", 2005),
    ("社区卫生计生服务室", "云龙区卫生计生委", 2014),
    ("社区人民调解委员会", "云龙区司法局", 2004),
    ("社区残疾人协会", "云龙区残联", 2008),
    ("社区居家养老服务站", "云龙区民政局", 2013),
    ("社区老年人协会", "云龙区老龄办", 2007),
    ("社区妇女之家", "云龙区妇联", 2011),
    ("社区关心下一代工作委员会", "云龙区关工委", 2009),
    ("社区科普活动室", "云龙区科协", 2010),
    ("社区禁毒工作站", "徐州市公安局云龙分局", 2012),
    ("社区矫正工作站", "云龙区司法局", 2013),
    ("社区流动人口服务站", "徐州市公安局云龙分局", 2011),
    ("社区安全生产监督站", "云龙区安监局", 2012),
    ("社区消防工作站", "云龙区公安消防大队", 2010),
    ("社区城管工作站", "云龙区城管局", 2013),
    ("社区环境卫生管理站", "云龙区城管局", 2009),
    ("社区爱国卫生委员会", "云龙区爱卫办", 2008),
    ("社区食品安全协管站", "云龙区食药监局", 2014),
    ("社区统计工作站", "云龙区统计局", 2010),
    ("社区双拥工作站", "云龙区人民武装部", 2009),
    ("社区民兵连", "云龙区人民武装部", 2006),
    ("社区团支部", "共青团云龙区委", 2005),
    ("社区工会联合会", "云龙区总工会", 2012),
    ("社区文化活动中心", "云龙区文体局", 2011),
    ("社区图书室", "云龙区文体局", 2008),
    ("社区体育健身站", "云龙区文体局", 2012),
    ("社区心理咨询室", "云龙区卫生计生委", 2014),
    ("社区志愿者服务站", "云龙区文明办", 2010),
    ("社区慈善工作站", "云龙区慈善会", 2013),
    ("社区红十字服务站", "云龙区红十字会", 2012),
    ("社区信访代理室", "云龙区信访局", 2011),
    ("社区网格化服务管理工作站", "云龙区委政法委", 2015),
    ("社区防震减灾工作站", "云龙区地震局", 2012),
    ("社区气象信息服务站", "云龙区气象局", 2014),
    ("社区计划生育协会", "云龙区卫生计生委", 2004),
    ("社区青少年活动中心", "共青团云龙区委", 2013),
    ("社区侨务工作联络站", "云龙区侨办", 2011),
    ("社区档案工作室", "云龙区档案局", 2012),
    ("社区普法宣传站", "云龙区司法局", 2010),
    ("社区精神文明建设指导站", "云龙区文明办", 2007),
    ("社区廉政文化进社区示范点", "云龙区纪委", 2015),
]
# The electronic ledgers of 2016 on the community platform, and what allows each: the
# admission of an assistance item, or a duty of the duty list.
E_LEDGERS = {
    "assistance": ("社会救助和养老服务电子台账", "协助做好最低生活保障申请受理和入户核查", None),
    "employment": ("就业和社会保障电子台账", "协助做好失业人员登记和再就业服务", None),
    "safety": ("平安社区电子台账", "协助做好社会治安综合治理和平安社区创建", None),
    "fire": ("安全生产和消防电子台账", "协助开展居民区消防宣传和火灾隐患排查", None),
    "health": ("卫生健康和计划生育电子台账", "协助开展计划生育家庭奖扶特扶资格审核", None),
    "party": ("党建工作电子台账", None, "严格落实“三会一课”等党内组织生活制度"),
}
# The 25 ledger categories of the survey ("社区工作台账达25类"): (name, department as surveyed,
# share of the books, what became of it: an electronic ledger's key, "removed", or "kept").
LEDGERS = [
    ("党建工作台账", "云龙区委组织部", 9, "party"),
    ("社会治安综合治理台账", "云龙区委政法委", 10, "safety"),
    ("信访维稳工作台账", "云龙区信访局", 6, "safety"),
    ("人民调解台账", "云龙区司法局", 4, "safety"),
    ("社区矫正和安置帮教台账", "云龙区司法局", 4, "safety"),
    ("禁毒工作台账", "徐州市公安局云龙分局", 3, "safety"),
    ("流动人口和出租房屋台账", "徐州市公安局云龙分局", 6, "safety"),
    ("人口和计划生育台账", "云龙区卫生计生委", 12, "health"),
    ("爱国卫生台账", "云龙区爱卫办", 5, "health"),
    ("最低生活保障台账", "云龙区民政局", 8, "assistance"),
    ("残疾人工作台账", "云龙区残联", 5, "assistance"),
    ("老龄工作台账", "云龙区老龄办", 5, "assistance"),
    ("劳动保障台账", "云龙区人社局", 8, "employment"),
    ("安全生产台账", "云龙区安监局", 6, "fire"),
    ("消防安全台账", "云龙区公安消防大队", 4, "fire"),
    ("文明创建台账", "云龙区文明办", 8, "removed"),
    ("精神文明建设台账", "云龙区文明办", 4, "removed"),
    ("妇联工作台账", "云龙区妇联", 4, "removed"),
    ("共青团工作台账", "共青团云龙区委", 3, "removed"),
    ("工会工作台账", "云龙区总工会", 3, "removed"),
    ("统计工作台账", "云龙区统计局", 3, "removed"),
    ("科普工作台账", "云龙区科协", 3, "removed"),
    ("双拥工作台账", "云龙区人民武装部", 3, "removed"),
    ("城市管理台账", "云龙区城管局", 6, "removed"),
    # The residents' committee's own records, which the law asks it to keep.
    ("居民会议和居务公开记录", "", 3, "kept"),
]
KEPT_LEDGER_DUTY = "组织召开居民会议、居民代表会议，执行会议决定"
# The seven campaigns kept, each on the admission of an assistance item.
KEPT_CAMPAIGNS = {
    "全国文明城市创建": "协助开展文明城市创建和文明家庭评选",
    "平安社区创建": "协助做好社会治安综合治理和平安社区创建",
    "国家卫生城市创建": "协助开展爱国卫生运动和病媒生物防制",
    "充分就业社区创建": "协助做好失业人员登记和再就业服务",
    "综合减灾示范社区创建": "协助做好突发事件预警信息传递和群众疏散",
    "绿色社区创建": "协助开展生态环境保护宣传和环境问题报告",
    "民主法治示范社区创建": "协助开展法治宣传和公共法律服务",
}
# Every campaign a pilot took part in: (name, department, 一票否决, fate: "kept", "removed" or
# the kept campaign it was merged into). A community with n campaigns had the first n.
CAMPAIGNS = [
    ("全国文明城市创建", "云龙区文明办", False, "kept"),
    ("平安社区创建", "云龙区委政法委", False, "kept"),
    ("国家卫生城市创建", "云龙区爱卫办", False, "kept"),
    ("充分就业社区创建", "云龙区人社局", False, "kept"),
    ("综合减灾示范社区创建", "云龙区民政局", False, "kept"),
    ("绿色社区创建", "云龙区环保局", False, "kept"),
    ("民主法治示范社区创建", "云龙区司法局", False, "kept"),
    ("社会治安综合治理目标管理考核", "云龙区委政法委", True, "平安社区创建"),
    ("人口和计划生育目标管理责任制考核", "云龙区卫生计生委", True, "removed"),
    ("安全生产目标责任制考核", "云龙区安监局", True, "removed"),
    ("信访稳定工作目标考核", "云龙区信访局", True, "removed"),
    ("文明社区评比", "云龙区文明办", False, "全国文明城市创建"),
    ("五好文明家庭评选", "云龙区妇联", False, "全国文明城市创建"),
    ("健康社区创建", "云龙区卫生计生委", False, "国家卫生城市创建"),
    ("无烟社区创建", "云龙区爱卫办", False, "国家卫生城市创建"),
    ("安全社区创建", "云龙区安监局", False, "综合减灾示范社区创建"),
    ("消防安全示范社区创建", "云龙区公安消防大队", False, "综合减灾示范社区创建"),
    ("无毒社区创建", "徐州市公安局云龙分局", False, "平安社区创建"),
    ("学习型社区创建", "云龙区教育局", False, "removed"),
    ("科普示范社区创建", "云龙区科协", False, "removed"),
    ("体育健身示范社区创建", "云龙区文体局", False, "removed"),
    ("书香社区评选", "云龙区文体局", False, "removed"),
    ("节水型社区创建", "云龙区水务局", False, "removed"),
    ("双拥模范社区创建", "云龙区人民武装部", False, "removed"),
    ("敬老模范社区评选", "云龙区老龄办", False, "removed"),
    ("星级社区党组织评定", "云龙区委组织部", False, "removed"),
    ("巾帼文明岗评选", "云龙区妇联", False, "removed"),
    ("青少年维权岗创建", "共青团云龙区委", False, "removed"),
    ("模范职工之家评选", "云龙区总工会", False, "removed"),
    ("统计规范化建设达标", "云龙区统计局", False, "removed"),
    ("食品安全示范社区创建", "云龙区食药监局", False, "removed"),
    ("档案工作达标评比", "云龙区档案局", False, "removed"),
    ("优秀社区居委会评比", "云龙区民政局", False, "removed"),
    ("社区信息化示范点评比", "云龙区经信委", False, "removed"),
]
ONE_VOTE_VETO = sum(1 for _name, _department, veto, _fate in CAMPAIGNS if veto)
SYSTEMS = [
    ("社会救助信息管理系统", "云龙区民政局", 2010),
    ("全员人口信息系统", "云龙区卫生计生委", 2012),
    ("社会治安综合治理信息系统", "云龙区委政法委", 2013),
    ("人社基层公共服务平台", "云龙区人社局", 2014),
]
PLATFORM = ("社区公共服务综合信息平台", "云龙区经信委")


def _yunlong_people(password: str) -> tuple[dict[str, User], list[tuple[str, str, str]]]:
    """The district's departments Jianfu lacked, and the accounts that act in 云龙区."""
    district = Region.objects.get(code=YUNLONG)
    admin = User.objects.get(username="system_admin")
    units = {u.name: u for u in Unit.objects.filter(district_code=YUNLONG)}
    for _listed, unit_name, _short in DEPARTMENTS:
        if unit_name not in units:
            units[unit_name] = unit_create(
                actor=admin, name=unit_name, unit_type=UnitType.DEPARTMENT, region=district
            )
    accounts = list(YUNLONG_ACCOUNTS)
    for _listed, unit_name, short in DEPARTMENTS:
        accounts += [
            (f"yl_{short}_clerk", Role.DEPT_CLERK, unit_name),
            (f"yl_{short}_head", Role.DEPT_HEAD, unit_name),
        ]
    people, rows = {}, []
    for username, role, unit_name in accounts:
        people[username] = account_create(
            actor=None,
            username=username,
            display_name=f"{Role(role).label}（云龙演示）",
            unit=units[unit_name],
            roles=[role],
            password=password,
            granted_by_command=True,
        )
        rows.append((username, str(Role(role).label), unit_name))
    return people, rows


def _published_items(district: str, kind: str) -> dict[str, Item]:
    """The items of the district's published list of `kind`, by name."""
    items = Item.objects.filter(
        version__status=VersionStatus.PUBLISHED,
        version__list__region_id=district,
        version__list__kind=kind,
    ).select_related("version__list")
    return {item.name: item for item in items}


def _signboard_list(district: Region) -> dict[str, Item]:
    """The district's signboard list of 2016, "委、居、站、办"."""
    catalog_list = _new_list(
        district,
        "云龙区社区挂牌清单",
        ListKind.SIGNBOARD,
        ListLevel.COMMUNITY,
        "320303-signboard",
        "2016版",
    )
    _load(catalog_list, _rows(SIGNBOARD_LIST, "YL-GP"))
    _publish(catalog_list, "云龙办发〔2016〕33号", SIGNBOARD_LIST_DAY)
    return _published_items(YUNLONG, ListKind.SIGNBOARD)


def _admit_assistance(people: dict[str, User]) -> dict[str, Admission]:
    """Each of the 65 items of the district's assistance list, admitted for the four pilots
    through the real procedure by the department the list names; by item name."""
    demo = _Demo(people)
    shorts = {listed: short for listed, _unit, short in DEPARTMENTS}
    admissions = {}
    for item in sorted(_published_items(YUNLONG, ListKind.ASSIST).values(), key=_position):
        if item.parent_key is not None:
            continue
        clerk, head = f"yl_{shorts[item.department]}_clerk", f"yl_{shorts[item.department]}_head"
        minutes, times = ESTIMATES.get(item.category, (60, 12))
        funding = round(minutes * times / 60 * FEN_PER_HOUR)
        application = demo.create(
            clerk,
            {
                "title": item.name,
                "object_kind": "task",
                "target_level": "community",
                "content": f"社区{item.name}，{item.department}负责业务指导、培训和经费保障。",
                "service_objects": "辖区居民",
                "legal_law": item.legal_law,
                "legal_article": item.legal_article,
                "legal_text": item.legal_text,
                "need_statement": "社区熟悉居民情况，便于就近受理和服务。",
                "work_plan": f"{item.department}统一培训、提供表单和系统权限，"
                "社区按季度汇总报送，费随事转。",
                "funding_source": "区级财政（费随事转）",
                "minutes_per_occurrence": minutes,
                "occurrences_per_year": times,
                "catalog_list": item.version.list,
                "item_key": item.key,
            },
            [(pilot.code, funding) for pilot in PILOTS],
        )
        application = demo.to_review(application, clerk=clerk, head=head, reviewer="yl_reviewer")
        criteria = {
            "legal_basis": bool(item.legal_law and item.legal_article),
            "real_need": True,
        }
        application = demo.act("yl_reviewer", application, "accept", criteria=criteria)
        application = demo.consult(application, secretary="yl_secretary", answers={})
        application = demo.act("yl_secretary", application, "close_consultation")
        application = demo.decide(
            application,
            "yl_secretary",
            DecisionOutcome.APPROVE,
            attendees="区委副书记（领导小组组长）、区民政局、区委编办、区法制办、区财政局、各街道",
            minutes="社区事务清单管理领导小组联席会议逐项审议协助清单事项，签订协助管理协议书。",
        )
        admissions[item.name] = application.admissions.get()
    return admissions


def _position(item: Item) -> int:
    return item.position


def _books(total: int) -> list[int]:
    """The survey's total books split over the ledger categories by their shares (largest
    remainder, so the parts add up to the total exactly)."""
    shares = [share for _name, _department, share, _fate in LEDGERS]
    whole = sum(shares)
    parts = [total * share // whole for share in shares]
    order = sorted(range(len(shares)), key=lambda i: (-(total * shares[i] % whole), i))
    for index in order[: total - sum(parts)]:
        parts[index] += 1
    return parts


class _Inventory:
    """One pilot's inventory, as surveyed and as cleaned up."""

    def __init__(self, pilot, *, actor, community, admissions, signboards, duties):
        self.pilot, self.actor, self.community = pilot, actor, community
        self.admissions, self.signboards, self.duties = admissions, signboards, duties

    def admitted_by(self, title: str | None) -> dict:
        return {"admission_number": self.admissions[title].number} if title else {}

    def build(self, kind: str, **values) -> InventoryEntry:
        return services.entry_build(community=self.community, kind=kind, values=values)

    def survey(self) -> dict[str, dict[str, InventoryEntry]]:
        """The inventory as the survey found it, imported in one go."""
        pilot = self.pilot
        entries: dict[str, dict[str, InventoryEntry]] = {kind: {} for kind in EntryKind.values}
        for index, (name, department, year) in enumerate(SIGNBOARDS[: pilot.signboards]):
            basis = self.signboards.get(name)
            entries[EntryKind.SIGNBOARD][name] = self.build(
                EntryKind.SIGNBOARD,
                name=name,
                department_name=department,
                since=dt.date(year, 1 + index % 12, 1),
                **({"basis_item_key": basis.key} if basis else {}),
            )
        for (name, department, _share, fate), books in zip(
            LEDGERS, _books(pilot.ledger_books), strict=True
        ):
            kept = fate == "kept"
            entries[EntryKind.LEDGER][name] = self.build(
                EntryKind.LEDGER,
                name=name if kept else f"{name}（2015年度）",
                department_name=department,
                quantity=books,
                medium=LedgerMedium.PAPER,
                year=None if kept else 2015,
                since=dt.date(2003, 1, 1) if kept else dt.date(2015, 1, 1),
                **({"basis_item_key": self.duties[KEPT_LEDGER_DUTY].key} if kept else {}),
            )
        for index, (name, department, veto, fate) in enumerate(CAMPAIGNS[: pilot.campaigns]):
            entries[EntryKind.CAMPAIGN][name] = self.build(
                EntryKind.CAMPAIGN,
                name=name,
                department_name=department,
                one_vote_veto=veto,
                since=dt.date(2008 + index % 8, 3, 1),
                **self.admitted_by(KEPT_CAMPAIGNS.get(name) if fate == "kept" else None),
            )
        for name, department, year in SYSTEMS:
            entries[EntryKind.SYSTEM][name] = self.build(
                EntryKind.SYSTEM, name=name, department_name=department, since=dt.date(year, 7, 1)
            )
        created = services.entries_create_many(
            actor=self.actor,
            entries=[e for by_name in entries.values() for e in by_name.values()],
            source=f"{SURVEY}（{pilot.name}）",
        )
        if len(created) != sum(len(by_name) for by_name in entries.values()):
            raise RuntimeError(f"{pilot.name}: survey not imported")
        return entries

    def create(self, kind: str, **values) -> InventoryEntry:
        return services.inventory_entry_create(
            actor=self.actor, community=self.community, kind=kind, **values
        )

    def end(self, entry, status, day, reason, successor=None) -> None:
        services.inventory_entry_end(
            actor=self.actor,
            entry=entry,
            status=status,
            ended_on=day,
            reason=reason,
            successor=successor,
        )

    def clean_up(self, entries: dict[str, dict[str, InventoryEntry]]) -> None:
        """2016: down to "委、居、站、办", seven campaigns without 一票否决, electronic ledgers,
        one platform."""
        for name, entry in entries[EntryKind.SIGNBOARD].items():
            if name not in self.signboards:
                self.end(
                    entry,
                    EntryStatus.REMOVED,
                    SIGNBOARDS_DOWN,
                    "社区只挂“委、居、站、办”4块牌子，其余机构牌子一律摘除。",
                )
        campaigns = entries[EntryKind.CAMPAIGN]
        for name, _department, veto, fate in CAMPAIGNS[: self.pilot.campaigns]:
            if fate == "kept":
                continue
            if fate == "removed":
                reason = (
                    "取消对社区的“一票否决”事项。" if veto else "未经准入的创建评比项目，予以取消。"
                )
                self.end(campaigns[name], EntryStatus.REMOVED, CAMPAIGNS_CUT, reason)
            else:
                self.end(
                    campaigns[name],
                    EntryStatus.MERGED,
                    CAMPAIGNS_CUT,
                    f"并入“{fate}”统一开展" + ("，取消“一票否决”。" if veto else "。"),
                    successor=campaigns[fate],
                )
        electronic = {}
        for key, (name, admission, duty) in E_LEDGERS.items():
            basis = {"basis_item_key": self.duties[duty].key} if duty else {}
            electronic[key] = self.create(
                EntryKind.LEDGER,
                name=name,
                department_name=PLATFORM[1],
                medium=LedgerMedium.ELECTRONIC,
                since=PLATFORM_OPEN,
                **self.admitted_by(admission),
                **basis,
            )
        for name, _department, _share, fate in LEDGERS:
            entry = entries[EntryKind.LEDGER][name]
            if fate == "removed":
                self.end(
                    entry,
                    EntryStatus.REMOVED,
                    LEDGERS_DIGITISED,
                    "交叉重复，以做台账代替做工作，不再要求社区建立该台账。",
                )
            elif fate != "kept":
                self.end(
                    entry,
                    EntryStatus.DIGITISED,
                    LEDGERS_DIGITISED,
                    "依托社区公共服务综合信息平台，整合为电子台账。",
                    successor=electronic[fate],
                )
        platform = self.create(
            EntryKind.SYSTEM,
            name=PLATFORM[0],
            department_name=PLATFORM[1],
            since=PLATFORM_OPEN,
            notes="区经信委统筹建设，各部门业务系统逐步整合接入。",
        )
        for entry in entries[EntryKind.SYSTEM].values():
            self.end(
                entry,
                EntryStatus.MERGED,
                SYSTEMS_MERGED,
                "整合到社区公共服务综合信息平台，数据共享，不再重复录入。",
                successor=platform,
            )


def _yunlong(password: str) -> list[tuple[str, str, str]]:
    district = Region.objects.get(code=YUNLONG)
    people, rows = _yunlong_people(password)
    secretary = people["yl_secretary"]
    signboards = _signboard_list(district)
    duties = _published_items(YUNLONG, ListKind.DUTY)
    admissions = _admit_assistance(people)
    services.burden_settings_update(
        actor=secretary, district=district, signboard_cap=4, campaign_cap=None
    )
    communities = Region.objects.in_bulk([pilot.code for pilot in PILOTS])
    for pilot in PILOTS:
        community = communities[pilot.code]
        # 圆梦社区 keeps its own inventory; the group office surveyed and cleaned up the others.
        keeper = people["yl_officer"] if pilot.name == "圆梦社区" else secretary
        inventory = _Inventory(
            pilot,
            actor=secretary,
            community=community,
            admissions=admissions,
            signboards=signboards,
            duties=duties,
        )
        entries = inventory.survey()
        inventory.actor = keeper
        inventory.clean_up(entries)
        _yunlong_baseline(secretary, pilot, community)
    services.burden_snapshot_take(
        actor=secretary, region=district, label=f"{timezone.localdate().year}年负担指数"
    )
    return rows


def _yunlong_baseline(secretary: User, pilot: Pilot, community: Region) -> None:
    """The survey's figures as the pilot's baseline; the entries must say the same of that day."""
    counted = burden_figures([community], on=BASELINE_DAY)[pilot.code]
    surveyed = {
        "signboards": pilot.signboards,
        "ledger_books": pilot.ledger_books,
        "campaigns": pilot.campaigns,
        "one_vote_veto": ONE_VOTE_VETO,
        "systems": SYSTEMS_BEFORE,
    }
    differing = {k: v for k, v in surveyed.items() if getattr(counted, k) != v}
    if differing:
        raise RuntimeError(f"{pilot.name}: the inventory does not give the survey's {differing}")
    services.burden_baseline_record(
        actor=secretary,
        community=community,
        taken_on=BASELINE_DAY,
        label=SURVEY,
        figures={
            **surveyed,
            "tasks": TASKS_BEFORE,
            "signboard_cap": counted.signboard_cap,
            "unadmitted": counted.unadmitted,
            "workers": WORKERS,
        },
    )


# ---------------------------------------------------------------------------------------------
# 内江市市中区

SHIZHONG = "511002000000"
ZHONGGULOU, JIANDAOJIE = "511002001001", "511002001002"  # 城东街道
XILIN, GUIHUJIE = "511002002001", "511002002002"  # 城西街道
# Who keeps each community's inventory (桂湖街社区 has no officer in the demo: its street does).
KEEPERS = {
    ZHONGGULOU: "community_officer",
    JIANDAOJIE: "szq_jdj_officer",
    XILIN: "community_officer2",
    GUIHUJIE: "street_officer2",
}
# Last year's survey, before the communities used Jianfu: larger figures than now.
SHIZHONG_BASELINES = {
    ZHONGGULOU: {
        "tasks": 126,
        "signboards": 14,
        "ledger_books": 86,
        "campaigns": 15,
        "one_vote_veto": 3,
        "systems": 6,
        "unadmitted": 31,
        "workers": 7,
    },
    JIANDAOJIE: {
        "tasks": 118,
        "signboards": 11,
        "ledger_books": 72,
        "campaigns": 12,
        "one_vote_veto": 2,
        "systems": 5,
        "unadmitted": 24,
        "workers": 7,
    },
    XILIN: {
        "tasks": 104,
        "signboards": 9,
        "ledger_books": 64,
        "campaigns": 10,
        "one_vote_veto": 2,
        "systems": 5,
        "unadmitted": 19,
        "workers": 7,
    },
}
SHIZHONG_SURVEY = "社区负担摸底调查"


def _szq_admission(title: str) -> str:
    """The number of the 市中区 admission of that title the earlier demos issued."""
    return Admission.objects.get(district_id=SHIZHONG, title=title).number


def _shizhong() -> None:
    people = {u.username: u for u in User.objects.select_related("unit")}
    district = Region.objects.get(code=SHIZHONG)
    secretary = people["group_secretary"]
    communities = Region.objects.in_bulk(list(KEEPERS))
    signboards = _published_items(SHIZHONG, ListKind.SIGNBOARD)
    duties = _published_items(SHIZHONG, ListKind.DUTY)
    assist = _published_items(SHIZHONG, ListKind.ASSIST)
    services.burden_settings_update(
        actor=secretary, district=district, signboard_cap=4, campaign_cap=None
    )
    disability = _szq_admission("残疾人两项补贴申请受理")
    old_age = _szq_admission("高龄津贴申领初审")
    health = _szq_admission("居民电子健康档案入户采集协助")
    last_year = timezone.localdate().year - 1

    def create(code: str, kind: str, **values) -> InventoryEntry:
        return services.inventory_entry_create(
            actor=people[KEEPERS[code]], community=communities[code], kind=kind, **values
        )

    def end(code: str, entry: InventoryEntry, status: str, day: dt.date, reason: str, **kw):
        services.inventory_entry_end(
            actor=people[KEEPERS[code]],
            entry=entry,
            status=status,
            ended_on=day,
            reason=reason,
            **kw,
        )

    party, committee, centre, practice = (
        signboards[name].key
        for name in (
            "社区党组织（党委、党总支或党支部）",
            "社区居民委员会",
            "社区党群服务中心",
            "社区新时代文明实践站",
        )
    )
    every_community = [
        ("社区党委", party, dt.date(2008, 7, 1)),
        ("社区居民委员会", committee, dt.date(2001, 3, 1)),
        ("社区党群服务中心", centre, dt.date(2019, 6, 1)),
        ("社区新时代文明实践站", practice, dt.date(2020, 10, 1)),
    ]
    for code in KEEPERS:
        for name, key, since in every_community:
            create(code, EntryKind.SIGNBOARD, name=name, basis_item_key=key, since=since)
        create(
            code,
            EntryKind.LEDGER,
            name="残疾人两项补贴电子台账",
            medium=LedgerMedium.ELECTRONIC,
            department_name="市中区民政局",
            admission_number=disability,
            since=timezone.localdate(),
        )
        create(
            code,
            EntryKind.LEDGER,
            name="居民会议和居务公开记录",
            medium=LedgerMedium.PAPER,
            quantity=2,
            year=last_year + 1,
            basis_item_key=duties["召集和主持居民会议，组织召开居民代表会议"].key,
            since=dt.date(last_year + 1, 1, 1),
        )
        create(
            code,
            EntryKind.SYSTEM,
            name="四川省社会救助信息系统",
            department_name="市中区民政局",
            basis_item_key=assist["协助开展城乡居民最低生活保障申请受理和入户调查"].key,
            since=dt.date(2016, 5, 1),
        )
        create(
            code,
            EntryKind.CAMPAIGN,
            name="平安社区创建",
            department_name="市中区委政法委",
            basis_item_key=assist["协助开展社会治安综合治理和矛盾纠纷排查化解"].key,
            since=dt.date(2018, 3, 1),
        )

    # 钟鼓楼社区: one signboard over the cap, a ledger the joint meeting refused to admit, and
    # last year's clean-up of what the survey found.
    create(
        ZHONGGULOU,
        EntryKind.SIGNBOARD,
        name="市场监管局食品安全社区工作站",
        department_name="市中区市场监管局",
        since=dt.date(2023, 4, 1),
        notes="区市场监管局要求挂牌，未经准入。",
    )
    create(
        ZHONGGULOU,
        EntryKind.LEDGER,
        name="文明城市创建迎检台账",
        department_name="市中区委宣传部",
        medium=LedgerMedium.PAPER,
        quantity=6,
        year=last_year + 1,
        since=dt.date(last_year + 1, 1, 1),
        notes="准入申请已被联席会议否决，部门仍要求社区按月整理迎检资料。",
    )
    create(
        ZHONGGULOU,
        EntryKind.LEDGER,
        name="高龄津贴申领电子台账",
        medium=LedgerMedium.ELECTRONIC,
        department_name="市中区民政局",
        admission_number=old_age,
        since=timezone.localdate(),
    )
    for name, department in (
        ("社区老年人协会", "市中区老龄办"),
        ("社区计划生育协会", "市中区卫健局"),
        ("社区禁毒工作站", "市中区公安分局"),
    ):
        board = create(
            ZHONGGULOU,
            EntryKind.SIGNBOARD,
            name=name,
            department_name=department,
            since=dt.date(2012, 5, 1),
        )
        end(
            ZHONGGULOU,
            board,
            EntryStatus.REMOVED,
            dt.date(last_year, 3, 31),
            "不在《市中区社区准许挂牌清单》内，予以摘除。",
        )
    health_ledger = create(
        ZHONGGULOU,
        EntryKind.LEDGER,
        name="居民健康档案电子台账",
        medium=LedgerMedium.ELECTRONIC,
        department_name="市中区卫健局",
        admission_number=health,
        since=dt.date(last_year, 1, 1),
    )
    paper = create(
        ZHONGGULOU,
        EntryKind.LEDGER,
        name="居民健康档案入户采集登记簿",
        medium=LedgerMedium.PAPER,
        quantity=12,
        year=last_year - 1,
        department_name="市中区卫健局",
        since=dt.date(last_year - 1, 1, 1),
    )
    end(
        ZHONGGULOU,
        paper,
        EntryStatus.DIGITISED,
        dt.date(last_year, 6, 30),
        "录入区卫健局健康档案系统，纸质登记簿停用。",
        successor=health_ledger,
    )
    terminal = create(
        ZHONGGULOU,
        EntryKind.SYSTEM,
        name="居民电子健康档案采集终端",
        department_name="市中区卫健局",
        admission_number=health,
        since=dt.date(last_year, 1, 1),
    )
    # The residents' evaluation revoked the health records here today (the evaluation demo):
    # what the admission brought goes with it.
    for entry in (health_ledger, terminal):
        end(
            ZHONGGULOU,
            entry,
            EntryStatus.RETIRED,
            timezone.localdate(),
            "居民电子健康档案入户采集协助经年度评议在本社区撤销，停止使用。",
        )

    # 箭道街社区: a campaign that still carries 一票否决.
    create(
        JIANDAOJIE,
        EntryKind.CAMPAIGN,
        name="安全生产目标责任考核",
        department_name="市中区应急局",
        one_vote_veto=True,
        since=dt.date(2017, 2, 1),
        notes="区应急局年度考核，发生安全事故实行“一票否决”，未经准入。",
    )
    create(
        JIANDAOJIE,
        EntryKind.LEDGER,
        name="居民健康档案电子台账",
        medium=LedgerMedium.ELECTRONIC,
        department_name="市中区卫健局",
        admission_number=health,
        since=dt.date(last_year, 1, 1),
    )

    survey_day = dt.date(last_year, 1, 1)
    for code, figures in SHIZHONG_BASELINES.items():
        services.burden_baseline_record(
            actor=secretary,
            community=communities[code],
            taken_on=survey_day,
            label=f"{last_year}年{SHIZHONG_SURVEY}",
            figures=figures,
        )
    services.burden_snapshot_take(
        actor=secretary, region=district, label=f"{timezone.localdate().year}年负担指数"
    )


@transaction.atomic
def burden_demo_load(*, password: str) -> list[tuple[str, str, str]]:
    """The inventories, baselines and snapshots of 云龙区 and 市中区; returns the extra login
    rows (username, role label, unit). Loads nothing if any inventory entry exists, so running
    it again changes nothing."""
    if InventoryEntry.objects.exists():
        return []
    rows = _yunlong(password)
    _shizhong()
    return rows
