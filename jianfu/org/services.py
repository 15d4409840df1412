"""Every write to regions, units and accounts; each checks permission and writes its audit record."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jianfu.core.audit import audit_record
from jianfu.core.errors import Forbidden, InvalidInput
from jianfu.core.permissions import allowed, require
from jianfu.core.tables import Row, read_table
from jianfu.core.text import pinyin_sort_key
from jianfu.org.models import (
    LEVEL_ORDER,
    PREFIX_LENGTH,
    Region,
    RegionLevel,
    Unit,
    UnitType,
    User,
    UserRole,
)
from jianfu.org.roles import ADMIN_ROLES, Role

Progress = Callable[[int, int], None]

CODE_PATTERN = re.compile(r"^\d{12}$")

LEVEL_WORDS = {
    **{level.value: level.value for level in RegionLevel},
    # Spelled out rather than taken from the labels, which are translated by the time they are read.
    "区/县": RegionLevel.DISTRICT,
    "街道/乡镇": RegionLevel.STREET,
    "社区/村": RegionLevel.COMMUNITY,
    "省": RegionLevel.PROVINCE,
    "自治区": RegionLevel.PROVINCE,
    "直辖市": RegionLevel.PROVINCE,
    "市": RegionLevel.CITY,
    "地区": RegionLevel.CITY,
    "州": RegionLevel.CITY,
    "区": RegionLevel.DISTRICT,
    "县": RegionLevel.DISTRICT,
    "区县": RegionLevel.DISTRICT,
    "街道": RegionLevel.STREET,
    "乡镇": RegionLevel.STREET,
    "镇": RegionLevel.STREET,
    "乡": RegionLevel.STREET,
    "社区": RegionLevel.COMMUNITY,
    "村": RegionLevel.COMMUNITY,
    "居委会": RegionLevel.COMMUNITY,
    "村委会": RegionLevel.COMMUNITY,
}

UNIT_TYPE_WORDS = {
    **{t.value: t.value for t in UnitType},
    "职能部门": UnitType.DEPARTMENT,
    "编办/准入办": UnitType.REVIEW_OFFICE,
    "领导小组办公室": UnitType.GROUP_OFFICE,
    "街道办事处": UnitType.STREET_OFFICE,
    "社区居（村）委会": UnitType.COMMUNITY_COMMITTEE,
    "派驻机构": UnitType.DISPATCHED_AGENCY,
    "社会组织": UnitType.SOCIAL_ORGANISATION,
    "部门": UnitType.DEPARTMENT,
    "编办": UnitType.REVIEW_OFFICE,
    "准入办": UnitType.REVIEW_OFFICE,
    "领导小组": UnitType.GROUP_OFFICE,
    "街道": UnitType.STREET_OFFICE,
    "乡镇政府": UnitType.STREET_OFFICE,
    "社区居委会": UnitType.COMMUNITY_COMMITTEE,
    "居委会": UnitType.COMMUNITY_COMMITTEE,
    "村委会": UnitType.COMMUNITY_COMMITTEE,
    "社区": UnitType.COMMUNITY_COMMITTEE,
}

# Each import accepts the English field names and the headers offices use in Chinese.
REGION_COLUMNS = {
    "code": ("code", "区划代码", "代码", "统计用区划代码"),
    "name": ("name", "名称", "区划名称"),
    "level": ("level", "层级", "级别"),
    "parent_code": ("parent_code", "上级区划代码", "上级代码"),
    "valid_from": ("valid_from", "生效日期"),
}
UNIT_COLUMNS = {
    "name": ("name", "名称", "单位名称"),
    "type": ("type", "类型", "单位类型"),
    "region_code": ("region_code", "区划代码", "所在区划代码"),
}


# Regions ------------------------------------------------------------------------------------


def parse_level(text: str) -> str | None:
    return LEVEL_WORDS.get(text.strip().lower()) or LEVEL_WORDS.get(text.strip())


def region_problems(
    *, code: str, name: str, level: str | None, parent: Region | None, parent_code: str
) -> list[str]:
    """Why a region with these values cannot exist in the tree (empty when it can)."""
    problems = []
    if not CODE_PATTERN.match(code):
        problems.append(_("区划代码须为 12 位数字。"))
    if not name:
        problems.append(_("名称不能为空。"))
    elif len(name) > 100:
        problems.append(_("名称不能超过 100 个字。"))
    if level is None:
        problems.append(_("层级无法识别（可填：省、市、区/县、街道/乡镇、社区/村）。"))
        return problems
    if problems:
        return problems
    own_length = PREFIX_LENGTH[RegionLevel(level)]
    above_length = ([0, *PREFIX_LENGTH.values()])[LEVEL_ORDER.index(level)]
    if code[own_length:].strip("0") or not code[above_length:own_length].strip("0"):
        problems.append(
            _("区划代码与层级不符：%(level)s的代码应只有前 %(n)d 位有效，其余为 0。")
            % {"level": RegionLevel(level).label, "n": own_length}
        )
    if level == RegionLevel.PROVINCE:
        if parent_code:
            problems.append(_("省级区划不应有上级区划。"))
    elif parent is None:
        problems.append(
            _("上级区划 %(code)s 不存在。") % {"code": parent_code}
            if parent_code
            else _("缺少上级区划代码。")
        )
    else:
        expected = LEVEL_ORDER[LEVEL_ORDER.index(level) - 1]
        if parent.level != expected:
            problems.append(
                _("上级区划应为%(expected)s级，实为%(actual)s级。")
                % {
                    "expected": RegionLevel(expected).label,
                    "actual": RegionLevel(parent.level).label,
                }
            )
        elif not code.startswith(parent.prefix):
            problems.append(
                _("区划代码应以上级区划代码的前 %(n)d 位 %(prefix)s 开头。")
                % {"n": len(parent.prefix), "prefix": parent.prefix}
            )
    return problems


@transaction.atomic
def region_create(
    *,
    actor: User,
    code: str,
    name: str,
    level: str,
    parent_code: str = "",
    valid_from: dt.date | None = None,
) -> Region:
    """Add one region under a parent in the actor's jurisdiction."""
    parent = Region.objects.filter(code=parent_code).first() if parent_code else None
    require(actor, "org.manage_region", parent)
    problems = region_problems(
        code=code, name=name, level=level, parent=parent, parent_code=parent_code
    )
    if Region.objects.filter(code=code).exists():
        problems.append(_("区划代码 %(code)s 已存在。") % {"code": code})
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems})
    region = Region.objects.create(
        code=code, name=name, level=level, parent=parent, valid_from=valid_from
    )
    audit_record(
        actor=actor,
        action="region.create",
        target=region,
        changes={"after": {"name": name, "level": level, "parent": parent_code}},
    )
    return region


@transaction.atomic
def region_update(
    *,
    actor: User,
    region: Region,
    name: str,
    valid_from: dt.date | None,
    valid_until: dt.date | None,
) -> Region:
    """Rename a region or change its validity; its code, level and place in the tree are fixed."""
    require(actor, "org.manage_region", region)
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("名称不能为空，且不能超过 100 个字。"))
    if valid_from and valid_until and valid_until < valid_from:
        raise InvalidInput(_("失效日期不能早于生效日期。"))
    before = {
        "name": region.name,
        "valid_from": region.valid_from,
        "valid_until": region.valid_until,
    }
    region.name, region.valid_from, region.valid_until = name, valid_from, valid_until
    region.save(update_fields=["name", "valid_from", "valid_until"])
    after = {
        "name": region.name,
        "valid_from": region.valid_from,
        "valid_until": region.valid_until,
    }
    audit_record(
        actor=actor,
        action="region.update",
        target=region,
        changes={"before": before, "after": after},
    )
    return region


@dataclass
class ImportReport:
    """The outcome of an all-or-nothing import: every bad row, or what was written."""

    errors: list[dict]
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"errors": self.errors, "created": self.created, "updated": self.updated}


def _row_error(row: Row, problems: Iterable[str]) -> dict:
    return {"row": row.number, "problems": list(problems)}


def _parse_date(text: str) -> dt.date | None:
    text = text.strip().replace("/", "-")
    if not text:
        return None
    return dt.date.fromisoformat(text[:10])


def regions_import(
    *, actor: User | None, data: bytes, filename: str, progress: Progress | None = None
) -> ImportReport:
    """Import regions from a spreadsheet: all rows are written, or none and every bad row is named."""
    require(actor, "org.manage_regions")
    rows = read_table(data, filename, columns=REGION_COLUMNS, required=("code", "name", "level"))
    codes_in_file: dict[str, int] = {}
    parsed = []
    errors = []
    for row in rows:
        code = row.values["code"]
        level = parse_level(row.values["level"])
        problems = []
        if code in codes_in_file:
            problems.append(
                _("区划代码 %(code)s 与第 %(row)d 行重复。")
                % {"code": code, "row": codes_in_file[code]}
            )
        codes_in_file.setdefault(code, row.number)
        try:
            valid_from = _parse_date(row.values.get("valid_from", ""))
        except ValueError:
            valid_from = None
            problems.append(_("生效日期格式应为 YYYY-MM-DD。"))
        parsed.append((row, code, level, valid_from, problems))

    existing = {r.code: r for r in Region.objects.filter(code__in=list(codes_in_file))}
    parent_codes = {row.values.get("parent_code", "") for row, *_rest in parsed} - {""}
    known = {r.code: r for r in Region.objects.filter(code__in=list(parent_codes))}
    # Parents may come from the same file: place rows top-down so each finds its parent.
    order = sorted(parsed, key=lambda p: LEVEL_ORDER.index(p[2]) if p[2] else len(LEVEL_ORDER))
    planned: dict[str, Region] = {}
    for row, code, level, valid_from, problems in order:
        parent_code = row.values.get("parent_code", "")
        parent = planned.get(parent_code) or known.get(parent_code)
        problems += region_problems(
            code=code, name=row.values["name"], level=level, parent=parent, parent_code=parent_code
        )
        current = existing.get(code)
        if (
            current is not None
            and level
            and (current.level != level or (current.parent_id or "") != parent_code)
        ):
            problems.append(_("区划代码 %(code)s 已存在，且层级或上级不同。") % {"code": code})
        if not problems and not allowed(
            actor, "org.manage_region", parent if level != RegionLevel.PROVINCE else None
        ):
            problems.append(_("该区划不在您的管辖范围内。"))
        if problems:
            errors.append(_row_error(row, problems))
            continue
        planned[code] = Region(
            code=code, name=row.values["name"], level=level, parent=parent, valid_from=valid_from
        )
    if not rows:
        errors.append({"row": 1, "problems": [_("文件中没有数据行。")]})
    report = ImportReport(errors=sorted(errors, key=lambda e: e["row"]))
    if not report.ok:
        return report
    with transaction.atomic():
        total = len(planned)
        for done, (code, region) in enumerate(planned.items(), start=1):
            if code in existing:
                current = existing[code]
                current.name = region.name
                current.valid_from = region.valid_from or current.valid_from
                current.save(update_fields=["name", "valid_from"])
                report.updated += 1
            else:
                region.save(force_insert=True)
                report.created += 1
            if progress and (done % 200 == 0 or done == total):
                progress(done, total)
        audit_record(
            actor=actor,
            action="region.import",
            object_type="org.region",
            changes={"file": filename, "created": report.created, "updated": report.updated},
        )
    return report


# Units --------------------------------------------------------------------------------------


def unit_problems(*, name: str, unit_type: str | None, region: Region | None, region_code: str):
    problems = []
    if not name:
        problems.append(_("名称不能为空。"))
    elif len(name) > 100:
        problems.append(_("名称不能超过 100 个字。"))
    if unit_type is None:
        problems.append(_("单位类型无法识别。"))
    elif unit_type == UnitType.PLATFORM:
        if region_code:
            problems.append(_("平台运维单位不属于任何区划。"))
    elif region is None:
        problems.append(
            _("区划 %(code)s 不存在。") % {"code": region_code}
            if region_code
            else _("缺少所在区划代码。")
        )
    return problems


def _unit_fields(unit: Unit) -> dict:
    return {
        "name": unit.name,
        "type": unit.type,
        "region": unit.region_id,
        "is_active": unit.is_active,
    }


@transaction.atomic
def unit_create(*, actor: User, name: str, unit_type: str, region: Region | None) -> Unit:
    """Add a unit at a region in the actor's jurisdiction."""
    name = name.strip()
    unit = Unit(name=name, type=unit_type, region=region)
    require(actor, "org.manage_unit", unit)
    problems = unit_problems(
        name=name, unit_type=unit_type, region=region, region_code=region.code if region else ""
    )
    if Unit.objects.filter(region=region, name=name).exists():
        problems.append(_("该区划下已有同名单位。"))
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems})
    unit.district_code = region.district_code or "" if region else ""
    unit.sort_key = pinyin_sort_key(name)
    unit.save(force_insert=True)
    audit_record(
        actor=actor, action="unit.create", target=unit, changes={"after": _unit_fields(unit)}
    )
    return unit


@transaction.atomic
def unit_update(*, actor: User, unit: Unit, name: str, unit_type: str, is_active: bool) -> Unit:
    """Rename, retype, or deactivate a unit; it stays at its region."""
    require(actor, "org.manage_unit", unit)
    name = name.strip()
    problems = unit_problems(
        name=name, unit_type=unit_type, region=unit.region, region_code=unit.region_id or ""
    )
    if (unit.type == UnitType.PLATFORM) != (unit_type == UnitType.PLATFORM):
        problems.append(_("平台运维单位与其他类型不能互换。"))
    if Unit.objects.filter(region=unit.region, name=name).exclude(pk=unit.pk).exists():
        problems.append(_("该区划下已有同名单位。"))
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems})
    before = _unit_fields(unit)
    unit.name, unit.type, unit.is_active = name, unit_type, is_active
    unit.sort_key = pinyin_sort_key(name)
    unit.save(update_fields=["name", "type", "is_active", "sort_key"])
    audit_record(
        actor=actor,
        action="unit.update",
        target=unit,
        changes={"before": before, "after": _unit_fields(unit)},
    )
    return unit


def units_import(
    *, actor: User | None, data: bytes, filename: str, progress: Progress | None = None
) -> ImportReport:
    """Import units from a spreadsheet, all or nothing; a unit already at its region is updated."""
    require(actor, "org.manage_units")
    rows = read_table(
        data, filename, columns=UNIT_COLUMNS, required=("name", "type", "region_code")
    )
    region_codes = {row.values["region_code"] for row in rows}
    regions = {r.code: r for r in Region.objects.filter(code__in=list(region_codes))}
    existing = {(u.region_id, u.name): u for u in Unit.objects.filter(region_id__in=list(regions))}
    seen: dict[tuple[str, str], int] = {}
    planned: list[Unit] = []
    errors = []
    for row in rows:
        name, code = row.values["name"], row.values["region_code"]
        unit_type = UNIT_TYPE_WORDS.get(row.values["type"].strip())
        region = regions.get(code)
        problems = unit_problems(name=name, unit_type=unit_type, region=region, region_code=code)
        if unit_type == UnitType.PLATFORM:
            problems.append(_("平台运维单位不能通过导入创建。"))
        if (code, name) in seen:
            problems.append(_("与第 %(row)d 行重复。") % {"row": seen[(code, name)]})
        seen.setdefault((code, name), row.number)
        if not problems and not allowed(actor, "org.manage_unit", Unit(region=region)):
            problems.append(_("该区划不在您的管辖范围内。"))
        if problems:
            errors.append(_row_error(row, problems))
            continue
        unit = existing.get((code, name)) or Unit(name=name, region=region)
        unit.type = unit_type
        planned.append(unit)
    if not rows:
        errors.append({"row": 1, "problems": [_("文件中没有数据行。")]})
    report = ImportReport(errors=errors)
    if not report.ok:
        return report
    with transaction.atomic():
        for done, unit in enumerate(planned, start=1):
            unit.sort_key = pinyin_sort_key(unit.name)
            unit.district_code = unit.region.district_code or ""
            if unit.pk:
                unit.save(update_fields=["type", "sort_key", "district_code"])
                report.updated += 1
            else:
                unit.save(force_insert=True)
                report.created += 1
            if progress and (done % 200 == 0 or done == len(planned)):
                progress(done, len(planned))
        audit_record(
            actor=actor,
            action="unit.import",
            object_type="org.unit",
            changes={"file": filename, "created": report.created, "updated": report.updated},
        )
    return report


# Accounts -----------------------------------------------------------------------------------


def _role_problems(roles: Iterable[str], *, granted_by_command: bool) -> list[str]:
    roles = set(roles)
    problems = []
    unknown = roles - set(Role.values)
    if unknown:
        problems.append(_("未知角色：%(roles)s。") % {"roles": "、".join(sorted(unknown))})
    admin = roles & ADMIN_ROLES
    if len(admin) > 1:
        problems.append(_("系统管理员、安全管理员、审计管理员三种角色不能由同一账号兼任。"))
    if admin and roles - ADMIN_ROLES:
        problems.append(_("管理员账号不能兼任业务角色。"))
    if admin and not granted_by_command:
        problems.append(_("管理员角色只能由运维人员在服务器命令行授予。"))
    return problems


def _password_problems(password: str, user: User) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _account_fields(account: User) -> dict:
    return {
        "username": account.username,
        "display_name": account.display_name,
        "unit": account.unit_id,
        "roles": sorted(account.role_set),
        "is_active": account.is_active,
    }


def _set_roles(account: User, roles: Iterable[str]) -> None:
    roles = set(roles)
    account.roles.exclude(role__in=roles).delete()
    current = set(account.roles.values_list("role", flat=True))
    UserRole.objects.bulk_create([UserRole(user=account, role=r) for r in sorted(roles - current)])
    account.__dict__.pop("_role_set", None)


@transaction.atomic
def account_create(
    *,
    actor: User | None,
    username: str,
    display_name: str,
    unit: Unit,
    roles: Iterable[str],
    password: str,
    granted_by_command: bool = False,
) -> User:
    """Open an account in a unit with its roles (actor None: the server's command line)."""
    roles = set(roles)
    if actor is not None:
        require(actor, "org.manage_unit", unit)
    username = username.strip()
    account = User(username=username, display_name=display_name.strip(), unit=unit)
    problems = []
    if not re.fullmatch(r"[A-Za-z0-9_.@-]{3,150}", username):
        problems.append(_("账号须为 3–150 位字母、数字或 _ . @ -。"))
    elif User.objects.filter(username__iexact=username).exists():
        problems.append(_("账号 %(username)s 已存在。") % {"username": username})
    if not roles:
        problems.append(_("至少选择一个角色。"))
    problems += _role_problems(roles, granted_by_command=granted_by_command)
    problems += _password_problems(password, account)
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems})
    account.set_password(password)
    account.save(force_insert=True)
    _set_roles(account, roles)
    audit_record(
        actor=actor,
        action="account.create",
        target=account,
        changes={"after": _account_fields(account)},
    )
    return account


def _require_manageable(actor: User, account: User) -> None:
    require(actor, "org.manage_user", account)
    if account.has_role(*ADMIN_ROLES):
        raise Forbidden(_("管理员账号只能由运维人员在服务器命令行管理。"))


@transaction.atomic
def account_update(
    *,
    actor: User,
    account: User,
    display_name: str,
    unit: Unit,
    roles: Iterable[str],
    is_active: bool,
) -> User:
    """Change an account's name, unit, roles or whether it may log in."""
    _require_manageable(actor, account)
    require(actor, "org.manage_unit", unit)
    roles = set(roles)
    problems = _role_problems(roles, granted_by_command=False)
    if not roles:
        problems.append(_("至少选择一个角色。"))
    if account.pk == actor.pk and not is_active:
        problems.append(_("不能停用自己的账号。"))
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems})
    before = _account_fields(account)
    account.display_name, account.unit, account.is_active = display_name.strip(), unit, is_active
    account.save(update_fields=["display_name", "unit", "is_active"])
    _set_roles(account, roles)
    audit_record(
        actor=actor,
        action="account.update",
        target=account,
        changes={"before": before, "after": _account_fields(account)},
    )
    return account


@transaction.atomic
def account_set_password(*, actor: User, account: User, password: str) -> None:
    """Set a new password: an administrator's reset of another account, or a user's own change."""
    if actor.pk != account.pk:
        _require_manageable(actor, account)
    problems = _password_problems(password, account)
    if problems:
        raise InvalidInput(" ".join(problems), details={"problems": problems})
    account.set_password(password)
    account.save(update_fields=["password"])
    audit_record(
        actor=actor,
        action="account.password_change" if actor.pk == account.pk else "account.password_reset",
        target=account,
    )
