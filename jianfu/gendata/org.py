"""Regions, units and accounts: a province of cities, districts, streets and communities.

Codes are valid 12-digit statistical division codes under 四川省 (51); the cities are Sichuan's
real prefecture-level cities with their real codes, the districts, streets and communities below
them get generated names and codes. Every community has its committee and officer, every street
its office and officer, every district its offices (the review office, the leadership-group
office, finance and audit bureaus, a social-work centre) with their staff, and the departments
are spread over the districts, each with a clerk and a head.
"""

from __future__ import annotations

import random

from jianfu.core.text import pinyin_sort_key
from jianfu.gendata.context import Context, RegionRow, UnitRow, apportion
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User, UserRole
from jianfu.org.roles import Role

PROVINCE = ("510000000000", "四川省")
# Sichuan's prefecture-level cities (GB/T 2260), in code order.
CITIES = [
    ("5101", "成都市"),
    ("5103", "自贡市"),
    ("5104", "攀枝花市"),
    ("5105", "泸州市"),
    ("5106", "德阳市"),
    ("5107", "绵阳市"),
    ("5108", "广元市"),
    ("5109", "遂宁市"),
    ("5110", "内江市"),
    ("5111", "乐山市"),
    ("5113", "南充市"),
    ("5114", "眉山市"),
    ("5115", "宜宾市"),
    ("5116", "广安市"),
    ("5117", "达州市"),
    ("5118", "雅安市"),
    ("5119", "巴中市"),
    ("5120", "资阳市"),
]
DISTRICTS_PER_CITY = 9

# Two-character place names for districts (区/县), streets (街道/镇) and communities (社区/村).
PLACE_WORDS = [
    "城东",
    "城西",
    "城南",
    "城北",
    "东城",
    "西城",
    "南城",
    "北城",
    "高新",
    "天府",
    "锦江",
    "青羊",
    "金牛",
    "武侯",
    "成华",
    "龙泉",
    "青白",
    "新都",
    "温江",
    "双流",
    "郫都",
    "新津",
    "金堂",
    "大邑",
    "蒲江",
    "简阳",
    "都江",
    "彭州",
    "邛崃",
    "崇州",
    "自流",
    "贡井",
    "大安",
    "沿滩",
    "荣县",
    "富顺",
    "东区",
    "西区",
    "仁和",
    "米易",
    "盐边",
    "江阳",
    "纳溪",
    "龙马",
    "泸县",
    "合江",
    "叙永",
    "古蔺",
    "旌阳",
    "罗江",
    "中江",
    "广汉",
    "什邡",
    "绵竹",
    "涪城",
    "游仙",
    "安州",
    "三台",
    "盐亭",
    "梓潼",
    "北川",
    "平武",
    "江油",
    "利州",
    "昭化",
    "朝天",
    "旺苍",
    "青川",
    "剑阁",
    "苍溪",
    "船山",
    "安居",
    "蓬溪",
    "大英",
    "射洪",
    "市中",
    "东兴",
    "威远",
    "资中",
    "隆昌",
    "沙湾",
    "五通",
    "金口",
    "犍为",
    "井研",
    "夹江",
    "沐川",
    "峨边",
    "马边",
    "峨眉",
    "顺庆",
    "高坪",
    "嘉陵",
    "南部",
    "营山",
    "蓬安",
    "仪陇",
    "西充",
    "阆中",
    "东坡",
    "彭山",
    "仁寿",
    "洪雅",
    "丹棱",
    "青神",
    "翠屏",
    "南溪",
    "叙州",
    "江安",
    "长宁",
    "高县",
    "珙县",
    "筠连",
    "兴文",
    "屏山",
    "前锋",
    "岳池",
    "武胜",
    "邻水",
    "华蓥",
    "通川",
    "达川",
    "宣汉",
    "开江",
    "大竹",
    "渠县",
    "万源",
    "雨城",
    "名山",
    "荥经",
    "汉源",
    "石棉",
    "天全",
    "芦山",
    "宝兴",
    "巴州",
    "恩阳",
    "通江",
    "南江",
    "平昌",
    "雁江",
    "安岳",
    "乐至",
    "龙山",
    "向阳",
    "东吉",
    "兴丰",
    "清源",
    "黄山",
    "彭城",
    "子房",
    "甬江",
    "庄桥",
    "钟鼓",
    "箭道",
    "西林",
    "桂湖",
    "绿地",
    "晓光",
    "下洪",
    "圆梦",
    "民安",
    "湾头",
    "孔浦",
    "费市",
    "三合",
    "枣园",
    "康泰",
    "双桥",
    "白马",
    "玉带",
    "紫薇",
    "桃源",
    "杏林",
    "荷花",
    "翠竹",
    "松林",
    "柳江",
    "梅岭",
    "兰亭",
    "凤凰",
    "龙井",
    "金桥",
    "银河",
    "光明",
    "幸福",
    "和平",
    "团结",
    "胜利",
    "建设",
    "新华",
    "人民",
    "解放",
    "文化",
    "育才",
    "书院",
    "学府",
    "花园",
    "春晓",
    "晨曦",
    "朝阳",
    "红星",
    "滨江",
    "沿河",
    "观音",
    "石桥",
    "大桥",
    "新桥",
    "东风",
]

# District departments (区级职能部门), named as district governments name them. 财政局 and
# 审计局 are district offices here (they hold the finance officer and the auditor).
DEPARTMENTS = [
    "民政局",
    "人力资源和社会保障局",
    "卫生健康局",
    "住房和城乡建设局",
    "城市管理局",
    "应急管理局",
    "教育局",
    "司法局",
    "农业农村局",
    "市场监督管理局",
    "生态环境局",
    "退役军人事务局",
    "文化广播电视和旅游局",
    "医疗保障局",
    "自然资源和规划局",
    "交通运输局",
    "水务局",
    "商务局",
    "统计局",
    "信访局",
    "发展和改革局",
    "经济和信息化局",
    "科学技术局",
    "体育局",
    "行政审批局",
    "政务服务管理局",
    "机关事务管理局",
    "国防动员办公室",
    "残疾人联合会",
    "妇女联合会",
    "总工会",
    "红十字会",
    "档案馆",
    "林业局",
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玉兰红梅林波云鹏飞宇浩然晨曦思雨欣怡佳琪子涵梓轩国庆志红海燕春燕丹凤德明永红晓东"


def person_name(rng: random.Random) -> str:
    """A made-up name of the usual shape: a common surname and one or two given characters."""
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _place_names(rng: random.Random, n: int, suffix: str, taken: set[str] | None = None) -> list:
    """`n` distinct names ending in `suffix`; numbered (城东二…) once the words run out."""
    words = PLACE_WORDS.copy()
    rng.shuffle(words)
    names = []
    round_ = 0
    while len(names) < n:
        marker = "" if round_ == 0 else "一二三四五六七八九十"[(round_ - 1) % 10]
        for word in words:
            name = f"{word}{marker}{suffix}"
            if taken is not None and name in taken:
                continue
            names.append(name)
            if len(names) == n:
                break
        round_ += 1
    if taken is not None:
        taken.update(names)
    return names


def generate(ctx: Context) -> None:
    rng = ctx.rng("org")
    scale = ctx.scale
    moment = ctx.at(ctx.today.replace(year=ctx.year - 3, month=1, day=4))
    sort_keys: dict[str, str] = {}

    def sort_key(name: str) -> str:
        key = sort_keys.get(name)
        if key is None:
            key = sort_keys[name] = pinyin_sort_key(name)
        return key

    # Regions ---------------------------------------------------------------------------------
    n_cities = max(1, round(scale.districts / DISTRICTS_PER_CITY))
    if n_cities > len(CITIES) or scale.districts > n_cities * 98:
        raise ValueError("scale too large for one province")
    ctx.province_code = PROVINCE[0]
    regions = [
        {"code": PROVINCE[0], "name": PROVINCE[1], "level": RegionLevel.PROVINCE, "parent_id": None}
    ]
    district_names = _place_names(rng, scale.districts, "", set())
    district_counts = apportion(scale.districts, n_cities, rng, spread=0)
    street_counts = apportion(scale.streets, scale.districts, rng)
    community_counts = apportion(scale.communities, scale.streets, rng)
    d_index = s_index = 0
    for (city_prefix, city_name), districts in zip(CITIES, district_counts, strict=False):
        city = RegionRow(f"{city_prefix}00000000", city_name, PROVINCE[0], "")
        ctx.cities.append(city)
        regions.append(
            {
                "code": city.code,
                "name": city_name,
                "level": RegionLevel.CITY,
                "parent_id": PROVINCE[0],
            }
        )
        for d in range(districts):
            word = district_names[d_index]
            name = word + ("县" if rng.random() < 0.3 else "区")
            code = f"{city_prefix}{d + 2:02d}000000"
            ctx.districts.append(RegionRow(code, name, city.code, code))
            regions.append(
                {"code": code, "name": name, "level": RegionLevel.DISTRICT, "parent_id": city.code}
            )
            is_county = name.endswith("县")
            street_names = _place_names(rng, street_counts[d_index], "")
            for s in range(street_counts[d_index]):
                rural = is_county and rng.random() < 0.6
                s_name = street_names[s] + ("镇" if rural else "街道")
                s_code = f"{code[:6]}{s + 1:03d}000"
                ctx.streets.append(RegionRow(s_code, s_name, code, code))
                regions.append(
                    {"code": s_code, "name": s_name, "level": RegionLevel.STREET, "parent_id": code}
                )
                c_names = _place_names(rng, community_counts[s_index], "")
                for c in range(community_counts[s_index]):
                    c_name = c_names[c] + ("村" if rural and rng.random() < 0.8 else "社区")
                    c_code = f"{s_code[:9]}{c + 1:03d}"
                    ctx.communities.append(RegionRow(c_code, c_name, s_code, code))
                    regions.append(
                        {
                            "code": c_code,
                            "name": c_name,
                            "level": RegionLevel.COMMUNITY,
                            "parent_id": s_code,
                        }
                    )
                s_index += 1
            d_index += 1
    ctx.insert(Region, regions, label="区划", total=len(regions))

    # Units -----------------------------------------------------------------------------------
    units: list[dict] = []

    def unit(name: str, unit_type: str, region: RegionRow | None) -> UnitRow:
        row = UnitRow(
            0,
            name,
            unit_type,
            region.code if region else "",
            region.district_code if region else "",
        )
        units.append(
            {
                "name": name,
                "type": unit_type,
                "region_id": region.code if region else None,
                "district_code": row.district_code,
                "sort_key": sort_key(name),
                "created_at": moment,
            }
        )
        return row

    platform = unit("平台运维中心", UnitType.PLATFORM, None)
    dept_counts = apportion(scale.departments, scale.districts, rng, spread=0.2)
    if max(dept_counts, default=0) > len(DEPARTMENTS):
        raise ValueError("more departments per district than department names")
    offices: dict[str, list[UnitRow]] = {}
    departments: list[UnitRow] = []
    for district, n_departments in zip(ctx.districts, dept_counts, strict=True):
        offices[district.code] = [
            unit(f"{district.name}委编办（准入办）", UnitType.REVIEW_OFFICE, district),
            unit(f"{district.name}社区减负工作领导小组办公室", UnitType.GROUP_OFFICE, district),
            unit(f"{district.name}财政局", UnitType.DEPARTMENT, district),
            unit(f"{district.name}审计局", UnitType.DEPARTMENT, district),
            unit(f"{district.name}社会工作服务中心", UnitType.SOCIAL_ORGANISATION, district),
        ]
        # 民政局 (civil affairs, which runs the reform) everywhere; the others vary by district.
        names = [DEPARTMENTS[0], *rng.sample(DEPARTMENTS[1:], n_departments - 1)]
        departments += [
            unit(f"{district.name}{name}", UnitType.DEPARTMENT, district)
            for name in names[:n_departments]
        ]
    street_offices = {
        street.code: unit(f"{street.name}办事处", UnitType.STREET_OFFICE, street)
        for street in ctx.streets
    }
    committees = {
        community.code: unit(
            community.name + ("村民委员会" if community.name.endswith("村") else "居民委员会"),
            UnitType.COMMUNITY_COMMITTEE,
            community,
        )
        for community in ctx.communities
    }
    # Ids in the order the rows were made; the UnitRow records get theirs from the same order.
    ids = iter(ctx.ids(Unit, len(units)))
    for row in units:
        row["id"] = next(ids)
    by_position = iter(row["id"] for row in units)

    def with_id(row: UnitRow) -> UnitRow:
        return UnitRow(next(by_position), row.name, row.type, row.region_code, row.district_code)

    platform = with_id(platform)
    for district, count in zip(ctx.districts, dept_counts, strict=True):
        ctx.district_offices[district.code] = [with_id(o) for o in offices[district.code]]
        start = len(ctx.departments)
        ctx.departments += [with_id(d) for d in departments[start : start + count]]
    ctx.street_offices = {code: with_id(u) for code, u in street_offices.items()}
    ctx.committees = {code: with_id(u) for code, u in committees.items()}
    ctx.insert(Unit, units, label="单位", total=len(units))

    # Accounts --------------------------------------------------------------------------------
    accounts: list[tuple[str, str, int]] = [
        ("system_admin", Role.SYSTEM_ADMIN, platform.id),
        ("security_admin", Role.SECURITY_ADMIN, platform.id),
        ("audit_admin", Role.AUDIT_ADMIN, platform.id),
    ]
    for district in ctx.districts:
        review, group, finance, audit, _centre = ctx.district_offices[district.code]
        short = district.code[:6]
        accounts += [
            (f"review_{short}", Role.REVIEW_OFFICER, review.id),
            (f"group_{short}", Role.GROUP_SECRETARY, group.id),
            (f"finance_{short}", Role.FINANCE_OFFICER, finance.id),
            (f"auditor_{short}", Role.AUDITOR, audit.id),
        ]
    for department in ctx.departments:
        accounts += [
            (f"clerk_{department.id}", Role.DEPT_CLERK, department.id),
            (f"head_{department.id}", Role.DEPT_HEAD, department.id),
        ]
    for code, office in ctx.street_offices.items():
        accounts.append((f"street_{code[:9]}", Role.STREET_OFFICER, office.id))
    for code, committee in ctx.committees.items():
        accounts.append((f"community_{code}", Role.COMMUNITY_OFFICER, committee.id))

    user_ids = ctx.ids(User, len(accounts))
    users, roles = [], []
    for user_id, (username, role, unit_id) in zip(user_ids, accounts, strict=True):
        users.append(
            {
                "id": user_id,
                "username": username,
                "password": ctx.password_hash,
                "display_name": person_name(rng),
                "unit_id": unit_id,
                "date_joined": moment,
            }
        )
        roles.append({"user_id": user_id, "role": role, "granted_at": moment})
        ctx.users.setdefault(role, []).append(user_id)
    ctx.insert(User, users, label="账号", total=len(users))
    ctx.insert(UserRole, roles, label="角色", total=len(roles))
    street_ids = iter(ctx.users[Role.STREET_OFFICER])
    ctx.officers = {code: next(street_ids) for code in ctx.street_offices}
    community_ids = iter(ctx.users[Role.COMMUNITY_OFFICER])
    ctx.officers.update({code: next(community_ids) for code in ctx.committees})
