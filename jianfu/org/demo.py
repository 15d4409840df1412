"""Demo regions, units and one account per role, with the real places named in the seeds.

County codes are the real GB/T 2260 codes; street and community codes under them are generated.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from jianfu.core.audit import audit_record
from jianfu.core.text import pinyin_sort_key
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User
from jianfu.org.roles import Role
from jianfu.org.services import account_create

# (province, city, district, {street: [communities]}) with real codes down to the district.
DISTRICTS = [
    (
        ("510000000000", "四川省"),
        ("511000000000", "内江市"),
        ("511002000000", "市中区"),
        {"城东街道": ["钟鼓楼社区", "箭道街社区"], "城西街道": ["西林社区", "桂湖街社区"]},
    ),
    (
        ("320000000000", "江苏省"),
        ("320300000000", "徐州市"),
        ("320303000000", "云龙区"),
        {
            "黄山街道": ["绿地南社区"],
            "彭城街道": ["晓光社区"],
            "子房街道": ["下洪社区", "圆梦社区", "民安社区"],
        },
    ),
    (
        ("330000000000", "浙江省"),
        ("330200000000", "宁波市"),
        ("330205000000", "江北区"),
        {"甬江街道": ["湾头社区", "孔浦社区"], "庄桥街道": ["费市社区"]},
    ),
    (
        ("110000000000", "北京市"),
        ("110100000000", "市辖区"),
        ("110115000000", "大兴区"),
        {"兴丰街道": ["三合南里社区"], "清源街道": ["枣园社区", "康泰园社区"]},
    ),
    (
        ("220000000000", "吉林省"),
        ("220400000000", "辽源市"),
        ("220402000000", "龙山区"),
        {"向阳街道": ["向阳社区"], "东吉街道": ["东吉社区"]},
    ),
]

DEPARTMENTS = ["民政局", "人社局", "卫健局", "住建局", "城管局", "应急局", "财政局", "审计局"]

# username → (role, where: a unit name), all in 内江市市中区 except the administrators.
ACCOUNTS = [
    ("system_admin", Role.SYSTEM_ADMIN, "平台运维中心"),
    ("security_admin", Role.SECURITY_ADMIN, "平台运维中心"),
    ("audit_admin", Role.AUDIT_ADMIN, "平台运维中心"),
    ("dept_clerk", Role.DEPT_CLERK, "市中区民政局"),
    ("dept_head", Role.DEPT_HEAD, "市中区民政局"),
    ("review_officer", Role.REVIEW_OFFICER, "市中区委编办（准入办）"),
    ("group_secretary", Role.GROUP_SECRETARY, "市中区社区减负工作领导小组办公室"),
    ("street_officer", Role.STREET_OFFICER, "城东街道办事处"),
    ("street_officer2", Role.STREET_OFFICER, "城西街道办事处"),
    ("community_officer", Role.COMMUNITY_OFFICER, "钟鼓楼社区居民委员会"),
    ("community_officer2", Role.COMMUNITY_OFFICER, "西林社区居民委员会"),
    # The community's head, who approves each use of its seal (certificates).
    ("community_head", Role.COMMUNITY_OFFICER, "钟鼓楼社区居民委员会"),
    ("finance_officer", Role.FINANCE_OFFICER, "市中区财政局"),
    ("auditor", Role.AUDITOR, "市中区审计局"),
    ("evaluator", Role.EVALUATOR, "钟鼓楼社区居民委员会"),
]

# Accounts that share a role in one unit need names that tell them apart (the seal log names
# both the handler and the approver).
DISPLAY_NAMES = {"community_head": "社区主任（演示）"}


def new_demo_password() -> str:
    """A password that meets the policy (12+ characters, four classes), easy to type."""
    return f"Jianfu-{secrets.token_hex(3)}-Demo"


def _unit(name: str, unit_type: str, region: Region | None) -> Unit:
    return Unit(
        name=name,
        type=unit_type,
        region=region,
        district_code=(region.district_code or "") if region else "",
        sort_key=pinyin_sort_key(name),
    )


@transaction.atomic
def demo_load(*, password: str) -> list[tuple[str, str, str]]:
    """Create the demo regions, units and accounts; returns (username, role label, unit) rows."""
    regions: list[Region] = []
    units: list[Unit] = [_unit("平台运维中心", UnitType.PLATFORM, None)]
    for (p_code, p_name), (c_code, c_name), (d_code, d_name), streets in DISTRICTS:
        province = Region(code=p_code, name=p_name, level=RegionLevel.PROVINCE)
        city = Region(code=c_code, name=c_name, level=RegionLevel.CITY, parent=province)
        district = Region(code=d_code, name=d_name, level=RegionLevel.DISTRICT, parent=city)
        regions += [province, city, district]
        units += [_unit(f"{d_name}{dept}", UnitType.DEPARTMENT, district) for dept in DEPARTMENTS]
        units += [
            _unit(f"{d_name}委编办（准入办）", UnitType.REVIEW_OFFICE, district),
            _unit(f"{d_name}社区减负工作领导小组办公室", UnitType.GROUP_OFFICE, district),
            _unit(f"{d_name}社会工作服务中心", UnitType.SOCIAL_ORGANISATION, district),
        ]
        for s_index, (s_name, communities) in enumerate(streets.items(), start=1):
            street = Region(
                code=f"{d_code[:6]}{s_index:03d}000",
                name=s_name,
                level=RegionLevel.STREET,
                parent=district,
            )
            regions.append(street)
            units += [
                _unit(f"{s_name}办事处", UnitType.STREET_OFFICE, street),
                _unit(f"{s_name[:-2]}司法所", UnitType.DISPATCHED_AGENCY, street),
            ]
            for c_index, c_name in enumerate(communities, start=1):
                community = Region(
                    code=f"{street.code[:9]}{c_index:03d}",
                    name=c_name,
                    level=RegionLevel.COMMUNITY,
                    parent=street,
                )
                regions.append(community)
                units.append(_unit(f"{c_name}居民委员会", UnitType.COMMUNITY_COMMITTEE, community))
    Region.objects.bulk_create(regions)
    Unit.objects.bulk_create(units)
    # Unit names repeat across districts only with the district's name in front, but the
    # platform and 内江市市中区 units are the ones the accounts are placed in.
    by_name = {u.name: u for u in Unit.objects.filter(district_code__in=["", "511002000000"])}
    rows = []
    for username, role, unit_name in ACCOUNTS:
        account = account_create(
            actor=None,
            username=username,
            display_name=DISPLAY_NAMES.get(username, f"{Role(role).label}（演示）"),
            unit=by_name[unit_name],
            roles=[role],
            password=password,
            granted_by_command=True,
        )
        rows.append((account.username, str(Role(role).label), unit_name))
    audit_record(
        action="demo.load",
        changes={"regions": len(regions), "units": len(units), "accounts": len(rows)},
    )
    return rows


def database_has_data() -> bool:
    return Region.objects.exists() or User.objects.exists()
