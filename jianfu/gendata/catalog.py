"""Published lists with their versions and items: each district's community duty, assistance and
certificate lists and its power list, two or three yearly versions each, and the province's
negative list.

Items reach each version as the app's editors would leave them: the first version's items were
added, each later version copies the one before and edits, cancels and adds a few; every such
change has its `ItemChange` with a reason, which the yearly statistics count. A version is
written as a draft, filled, then published (the database refuses items in a published version),
so at most one draft per list exists at any moment, as the app guarantees.
"""

from __future__ import annotations

import random
import uuid

from django.db import connection

from jianfu.catalog.models import (
    CatalogList,
    ChangeType,
    Item,
    ItemChange,
    ListKind,
    ListLevel,
    ListVersion,
    PowerType,
    VersionStatus,
)
from jianfu.core.text import pinyin_sort_key
from jianfu.gendata.context import Context, apportion
from jianfu.org.roles import Role

CATEGORIES = [
    "综合保障",
    "党群工作",
    "社区建设",
    "民生保障",
    "社区平安",
    "城市管理",
    "企业服务",
    "其他",
]
# Work of a community's own (居委会组织法第三条) and work it assists the government with.
DOMAINS = [
    "养老服务",
    "残疾人服务",
    "就业创业",
    "社会救助",
    "优抚安置",
    "环境卫生",
    "治安防范",
    "消防安全",
    "人民调解",
    "文化体育",
    "未成年人保护",
    "退役军人服务",
    "妇女儿童权益",
    "垃圾分类",
    "物业管理",
    "防汛减灾",
    "爱国卫生",
    "禁毒宣传",
    "征兵",
    "人口普查",
    "食品安全",
    "老旧小区改造",
    "租赁房屋",
    "流动人口",
    "公共卫生",
    "志愿服务",
    "法治宣传",
    "群众体育",
]
DUTY_ACTIONS = [
    "组织开展",
    "宣传教育",
    "居民议事协商",
    "矛盾排查化解",
    "意见收集反映",
    "自治公约落实",
]
ASSIST_ACTIONS = [
    "政策宣传",
    "信息采集",
    "协助调查核实",
    "情况报告",
    "服务对接",
    "动态管理",
    "协助排查",
]
CERTIFICATES = [
    "居民家庭经济状况证明（协助核对）",
    "临时救助对象生活状况证明",
    "死亡证明（非正常死亡以外、无医疗机构证明的）",
    "居住证明（无房产证明的居住事实）",
    "监护人确认证明",
    "就业困难人员认定辅助证明",
    "高龄津贴申领生存状况证明",
    "独生子女父母奖励扶助证明",
    "残疾人家庭生活状况证明",
    "低保家庭入户调查情况证明",
    "特困人员供养情况证明",
    "退役军人优待情况证明",
]
POWER_SUBJECTS = [
    "建筑施工企业",
    "食品经营",
    "户外广告设置",
    "城市道路占用",
    "排水",
    "养犬",
    "二次供水",
    "医疗机构",
    "民办学校",
    "养老机构",
    "公共场所卫生",
    "网吧经营",
    "娱乐场所",
    "成品油零售",
    "燃气经营",
    "建筑垃圾处置",
    "渣土运输",
    "园林绿化",
    "出租汽车",
    "道路运输",
    "危险化学品",
    "特种设备",
    "计量器具",
    "药品零售",
    "殡葬设施",
    "社会团体",
    "民办非企业单位",
    "劳务派遣",
    "人力资源服务",
    "职业技能培训",
    "农药经营",
    "种子生产",
    "动物诊疗",
    "水土保持",
    "取水",
    "河道采砂",
    "林木采伐",
    "文物保护",
    "出版物零售",
    "体育经营",
]
POWER_PHRASES = {
    PowerType.LICENSING: "{s}许可",
    PowerType.PENALTY: "对{s}违法行为的行政处罚",
    PowerType.ENFORCEMENT: "对{s}违法物品的查封扣押",
    PowerType.LEVY: "{s}相关费用征收",
    PowerType.PAYMENT: "{s}从业人员补贴给付",
    PowerType.INSPECTION: "对{s}的监督检查",
    PowerType.CONFIRMATION: "{s}资格确认",
    PowerType.REWARD: "{s}先进单位和个人奖励",
    PowerType.ADJUDICATION: "{s}权属争议裁决",
    PowerType.OTHER_POWER: "{s}备案",
    PowerType.PUBLIC_SERVICE: "{s}政策咨询服务",
}
LAWS = [
    ("《中华人民共和国城市居民委员会组织法》", "第三条"),
    ("《中华人民共和国村民委员会组织法》", "第二条"),
    ("《中华人民共和国行政许可法》", "第十二条"),
    ("《中华人民共和国行政处罚法》", "第十八条"),
    ("《社会救助暂行办法》", "第十一条"),
    ("《中华人民共和国老年人权益保障法》", "第三十三条"),
    ("《中华人民共和国残疾人保障法》", "第九条"),
    ("《中华人民共和国消防法》", "第三十二条"),
    ("《中华人民共和国食品安全法》", "第六条"),
    ("《城市市容和环境卫生管理条例》", "第四条"),
    ("《中华人民共和国兵役法》", "第十条"),
    ("《全国人口普查条例》", "第八条"),
]
# Work that must never be pushed onto communities (民发〔2020〕… and the 2024 rules).
NEGATIVE_ITEMS = [
    "招商引资、项目引进等经济指标任务",
    "协税护税、代征代缴税费等工作任务",
    "以社区名义开展行政执法和行政处罚",
    "拆迁拆违、环境整治中的具体执法工作",
    "安全生产监管、市场监管等监管执法责任",
    "各类创建达标和示范评比活动",
    "出具应由职能部门核实的证明",
    "由社区承担的经济发展指标考核",
]

# The lists each district keeps: (kind, level, name, code letters, share of the district's items).
DISTRICT_LISTS = [
    (ListKind.POWER, ListLevel.DISTRICT, "区级部门权力清单", "QL", 5),
    (ListKind.DUTY, ListLevel.COMMUNITY, "社区依法履行职责事项清单", "LZ", 2),
    (ListKind.ASSIST, ListLevel.COMMUNITY, "社区依法协助政府工作事项清单", "XZ", 2),
    (ListKind.CERTIFICATE, ListLevel.COMMUNITY, "社区可出具证明事项清单", "ZM", 1),
]
REASONS = {
    ChangeType.ADD: ["按清单梳理结果录入", "根据新出台的规定新增", "上级部门要求纳入清单"],
    ChangeType.EDIT: ["依据法规修订调整名称和依据", "规范事项表述", "责任部门调整"],
    ChangeType.CANCEL: ["依据法规已废止，予以取消", "事项已整合，不再单列", "经评估不属于社区职责"],
}


def _names(kind: str, rng: random.Random) -> list[tuple[str, str]]:
    """Every (name, power type) this list could hold, in a random order."""
    if kind == ListKind.POWER:
        names = [
            (phrase.format(s=subject), str(power_type))
            for subject in POWER_SUBJECTS
            for power_type, phrase in POWER_PHRASES.items()
        ]
    elif kind == ListKind.CERTIFICATE:
        names = [(name, "") for name in CERTIFICATES]
    else:
        actions = DUTY_ACTIONS if kind == ListKind.DUTY else ASSIST_ACTIONS
        names = [(f"{domain}{action}", "") for domain in DOMAINS for action in actions]
    rng.shuffle(names)
    return names


class _ListPlan:
    """One list's versions and the items of each, decided before anything is written."""

    def __init__(self, list_id, district, kind, code_letters, sizes, rng, departments) -> None:
        self.list_id, self.kind, self.code_letters = list_id, kind, code_letters
        self.district = district
        self.sizes, self.rng, self.departments = sizes, rng, departments
        self.pool = _names(kind, rng)
        self.used = 0
        self.sequence = 0
        self.versions: list[list[dict]] = []  # the item values of each version
        self.changes: list[list[tuple[str, dict, dict | None]]] = []

    def _new_item(self) -> dict:
        rng = self.rng
        if self.used < len(self.pool):
            name, power_type = self.pool[self.used]
        else:
            name, power_type = self.pool[self.used % len(self.pool)]
            name = f"{name}（{self.used // len(self.pool) + 1}）"
        self.used += 1
        self.sequence += 1
        law, article = rng.choice(LAWS)
        return {
            "key": uuid.UUID(int=rng.getrandbits(128), version=4),
            "code": f"{self.code_letters}-{self.district.code[:6]}-{self.sequence:04d}",
            "name": name,
            "category": "" if self.kind == ListKind.POWER else rng.choice(CATEGORIES),
            "power_type": power_type,
            "legal_law": law,
            "legal_article": article,
            "legal_text": "",
            "department": rng.choice(self.departments),
            "parent_key": None,
            "remarks": "",
        }

    def build(self) -> None:
        rng = self.rng
        current: list[dict] = []
        for size in self.sizes:
            changes: list[tuple[str, dict, dict | None]] = []
            if current:
                # A yearly adjustment: a few cancelled, a few edited, the rest carried over.
                cancelled = {
                    i for i in range(len(current)) if rng.random() < 0.05 and len(current) > 1
                }
                kept = []
                for i, item in enumerate(current):
                    if i in cancelled:
                        changes.append((ChangeType.CANCEL, item, None))
                        continue
                    if rng.random() < 0.08:
                        after = dict(item, legal_article=f"第{rng.randint(2, 60)}条")
                        changes.append((ChangeType.EDIT, item, after))
                        item = after
                    kept.append(item)
                current = kept[:size]
                for item in kept[size:]:
                    changes.append((ChangeType.CANCEL, item, None))
            while len(current) < size:
                item = self._new_item()
                current.append(item)
                changes.append((ChangeType.ADD, item, item))
            self.versions.append([dict(item, position=n) for n, item in enumerate(current, 1)])
            self.changes.append(changes)


def generate(ctx: Context) -> None:
    rng = ctx.rng("catalog")
    years = [ctx.year - 2, ctx.year - 1, ctx.year]
    reviewers = dict(zip(ctx.districts, ctx.users.get(Role.REVIEW_OFFICER, []), strict=False))
    departments_of: dict[str, list[str]] = {}
    for department in ctx.departments:
        departments_of.setdefault(department.district_code, []).append(department.name)

    negative_items = len(NEGATIVE_ITEMS)
    per_district = apportion(ctx.scale.list_items - negative_items, len(ctx.districts), rng, 0.2)
    list_ids = iter(ctx.ids(CatalogList, len(ctx.districts) * len(DISTRICT_LISTS) + 1))
    lists, plans = [], []
    for district, items in zip(ctx.districts, per_district, strict=True):
        prefix = district.name[:-1]
        shares = [share for *_rest, share in DISTRICT_LISTS]
        weights = [items * share / sum(shares) for share in shares]
        counts = [int(w) for w in weights]
        # A community issues only a dozen kinds of certificate: what a certificate list cannot
        # hold goes to the power list.
        certificates = min(counts[3], 3 * len(CERTIFICATES) - 6)
        counts[0] += items - sum(counts) + counts[3] - certificates
        counts[3] = certificates
        for (kind, level, title, letters, _share), count in zip(
            DISTRICT_LISTS, counts, strict=True
        ):
            list_id = next(list_ids)
            name = f"{district.name}{title}"
            lists.append(
                {
                    "id": list_id,
                    "code": f"{district.code[:6]}-{kind}-{level}",
                    "name": name,
                    "kind": kind,
                    "level": level,
                    "region_id": district.code,
                    "district_code": district.code,
                    "code_pattern": "",
                    "description": f"{prefix}区委编办（准入办）会同有关部门梳理，经区社区减负工作领导小组审定。",
                    "sort_key": pinyin_sort_key(name),
                    "created_at": ctx.at(ctx.today.replace(year=years[0], month=1, day=5)),
                }
            )
            n_versions = 3 if count >= 9 else 2 if count >= 4 else 1
            # Each version about the size of the others, growing a little year on year.
            sizes = sorted(apportion(count, n_versions, rng, 0.1))
            plan = _ListPlan(
                list_id,
                district,
                kind,
                letters,
                sizes,
                rng,
                departments_of.get(district.code, [""]),
            )
            plan.build()
            plans.append(plan)
    negative_id = next(list_ids)
    lists.append(
        {
            "id": negative_id,
            "code": f"{ctx.province_code[:2]}-negative-community",
            "name": "四川省社区工作负面清单",
            "kind": ListKind.NEGATIVE,
            "level": ListLevel.COMMUNITY,
            "region_id": ctx.province_code,
            "district_code": "",
            "code_pattern": "",
            "description": "列入本清单的工作事项不得交由社区承担，也不得以任何形式准入。",
            "sort_key": pinyin_sort_key("四川省社区工作负面清单"),
            "created_at": ctx.at(ctx.today.replace(year=years[0], month=1, day=5)),
        }
    )
    negative_plan = _ListPlan(negative_id, None, ListKind.NEGATIVE, "FM", [], rng, [""])
    negative_plan.versions = [
        [
            {
                "key": uuid.UUID(int=rng.getrandbits(128), version=4),
                "code": "",
                "name": name,
                "category": "",
                "power_type": "",
                "legal_law": "《整治形式主义为基层减负若干规定》",
                "legal_article": "",
                "legal_text": "",
                "department": "",
                "parent_key": None,
                "remarks": "",
                "position": n,
            }
            for n, name in enumerate(NEGATIVE_ITEMS, 1)
        ]
    ]
    negative_plan.changes = [[(ChangeType.ADD, item, item) for item in negative_plan.versions[0]]]
    plans.append(negative_plan)
    ctx.insert(CatalogList, lists, label="清单", total=len(lists))

    # Versions are written round by round: round k writes every list's k-th version as a draft,
    # its items and changes, then publishes it (the newest) or supersedes it (older ones).
    rounds = max(len(plan.versions) for plan in plans)
    items_total = sum(len(v) for plan in plans for v in plan.versions)
    items_written = 0
    previous: dict[int, int] = {}  # list id -> id of its version of the round before
    for k in range(rounds):
        in_round = [plan for plan in plans if len(plan.versions) > k]
        version_ids = iter(ctx.ids(ListVersion, len(in_round)))
        versions, items, changes, final = [], [], [], {}
        for plan in in_round:
            version_id = next(version_ids)
            newest = k == len(plan.versions) - 1
            year = years[len(years) - len(plan.versions) + k]
            valid_from = ctx.today.replace(year=year, month=1, day=1)
            valid_until = None if newest else ctx.today.replace(year=year + 1, month=1, day=1)
            district = plan.district
            prefix = district.name[:-1] if district else "川"
            reviewer = reviewers.get(district) if district else None
            published = ctx.at(valid_from, minutes=-24 * 60 * 5 + 600)
            versions.append(
                {
                    "id": version_id,
                    "list_id": plan.list_id,
                    "label": f"{year}版",
                    "status": VersionStatus.DRAFT,
                    "based_on_id": previous.get(plan.list_id),
                    "document_number": f"{prefix}委编〔{year}〕{rng.randint(1, 40)}号",
                    "valid_from": valid_from,
                    "valid_until": valid_until,
                    "published_at": published,
                    "published_by_id": reviewer,
                    "created_by_id": reviewer,
                    "created_at": ctx.at(valid_from, minutes=-24 * 60 * 40 + 600),
                }
            )
            final[version_id] = VersionStatus.PUBLISHED if newest else VersionStatus.SUPERSEDED
            previous[plan.list_id] = version_id
            edited_at = ctx.at(valid_from, minutes=-24 * 60 * 20 + 600)
            for values in plan.versions[k]:
                items.append({"version_id": version_id, **values})
            for change_type, before, after in plan.changes[k]:
                shown = after or before
                fields = {}
                if change_type == ChangeType.EDIT:
                    fields = {
                        name: {"before": before[name], "after": after[name]}
                        for name in ("legal_article",)
                        if before[name] != after[name]
                    }
                changes.append(
                    {
                        "version_id": version_id,
                        "change_type": change_type,
                        "item_key": shown["key"],
                        "item_name": shown["name"],
                        "department": shown["department"],
                        "related_keys": [],
                        "related_list_id": None,
                        "fields": fields,
                        "reason": rng.choice(REASONS[change_type]),
                        "actor_id": reviewer,
                        "created_at": edited_at,
                    }
                )
        ctx.insert(ListVersion, versions)
        ctx.insert(Item, items)
        ctx.insert(ItemChange, changes)
        items_written += len(items)
        ctx.progress("清单事项", items_written, items_total)
        _set_status(final)

    # What later steps cite: each district's published duty and assistance items.
    for plan in plans:
        if plan.district is None or plan.kind not in (ListKind.DUTY, ListKind.ASSIST):
            continue
        newest = plan.versions[-1]
        ctx.published_items.setdefault(plan.district.code, {})[str(plan.kind)] = (
            plan.list_id,
            [(item["key"], item["name"]) for item in newest],
        )


def _set_status(final: dict[int, str]) -> None:
    """Publish or supersede the round's drafts: one UPDATE per status and batch of ids."""
    by_status: dict[str, list[int]] = {}
    for version_id, status in final.items():
        by_status.setdefault(status, []).append(version_id)
    table = connection.ops.quote_name(ListVersion._meta.db_table)
    with connection.cursor() as cursor:
        for status, ids in sorted(by_status.items()):
            for start in range(0, len(ids), 500):
                batch = ids[start : start + 500]
                placeholders = ", ".join(["%s"] * len(batch))
                cursor.execute(
                    f"UPDATE {table} SET status = %s WHERE id IN ({placeholders})",  # noqa: S608
                    [status, *batch],
                )
