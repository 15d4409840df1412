"""Demo money in 内江市市中区, moved through the real ledger services by the people whose job it is.

Loaded after the dispatch demo. Seed 000 (§四): 城东街道 keeps one unified account (大账户) for
钟鼓楼社区 and 箭道街社区; the district's finance office gives each 9.15万元 a year of base work
funds, and the departments whose work the communities helped with pay for it (费随事转):
区委政法委 for 社会治安综合治理 (2018–2019) and 区卫健局, where 区爱卫办 sits, for 创建国家卫生城市
(2019). 钟鼓楼社区 received 3.5万元 (2018) and 19.9万元 (2019), 箭道街社区 11.5万元 and 14.35万元,
and all of it was spent ("均全额使用") on services, 创卫 and 综治, against vouchers.

Seed 002: office funds raised from 8,000 yuan per community a year to 3,000 yuan per worker a
year, allocated this year to every community of 市中区 from its worker count.

This year, 区民政局 funds its admissions: 高龄津贴申领初审 in full for 钟鼓楼社区 and by half for
箭道街社区; 残疾人两项补贴申请受理 for every community but 西林社区, which has had nothing six
weeks after the admission took effect, so the tripwire suspends the admission there; one mis-keyed transfer is corrected by a reversal. Last winter's admission was
funded and spent. The streets record part of this year's spending.

The 2018–2019 entries are written today with their budget year; the ledger is append-only, so
they cannot be dated back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from jianfu.admission.demo import ALL_CRITERIA, _Demo
from jianfu.admission.models import (
    Admission,
    AdmissionCounter,
    CommunityCapacity,
    DecisionOutcome,
)
from jianfu.core.money import format_fen
from jianfu.funds import services
from jianfu.funds.models import Account, LedgerTransaction
from jianfu.funds.selectors import funding_of
from jianfu.funds.tripwire import funding_tripwire
from jianfu.org.models import Region, RegionLevel, Unit, UnitType, User
from jianfu.org.roles import Role
from jianfu.org.services import account_create, unit_create

DISTRICT = "511002000000"  # 市中区
ZHONGGULOU, JIANDAOJIE = "511002001001", "511002001002"  # 城东街道
XILIN, GUIHUJIE = "511002002001", "511002002002"  # 城西街道
SEED_COMMUNITIES = [ZHONGGULOU, JIANDAOJIE]

FINANCE_OFFICE = "市中区财政局"
POLITICS_AND_LAW = "市中区委政法委"
HEALTH = "市中区卫健局"
CIVIL_AFFAIRS = "市中区民政局"
WORK_FUNDS, OFFICE_FUNDS = "社区工作经费", "社区办公经费"

BASE_WORK_FUNDS_FEN = 9_150_000  # 9.15万元 a year for each community (seed 000)
OFFICE_FUNDS_PER_WORKER_FEN = 300_000  # 3,000 yuan per worker a year (seed 002)

# Clerks and heads of the two departments that paid for 综治 and 创卫 in seed 000.
SZQ_ACCOUNTS = [
    ("szq_zfw_clerk", Role.DEPT_CLERK, POLITICS_AND_LAW),
    ("szq_zfw_head", Role.DEPT_HEAD, POLITICS_AND_LAW),
    ("szq_wj_clerk", Role.DEPT_CLERK, HEALTH),
    ("szq_wj_head", Role.DEPT_HEAD, HEALTH),
]

# Seed 000's 费随事转 money as admissions, per community a year in fen. The two years' figures
# (钟鼓楼 3.5万 → 19.9万, 箭道街 11.5万 → 14.35万) are 综治 both years plus 创卫 in 2019.
ADMISSIONS = [
    {
        "clerk": "szq_zfw_clerk",
        "head": "szq_zfw_head",
        "valid": (dt.date(2018, 1, 1), dt.date(2019, 12, 31)),
        "scope": {ZHONGGULOU: 3_500_000, JIANDAOJIE: 11_500_000},
        "values": {
            "title": "社会治安综合治理网格化服务管理协助",
            "content": "社区协助开展治安巡查、矛盾纠纷排查调处和重点人员服务管理，按网格报送综治信息。",
            "service_objects": "辖区居民和驻区单位",
            "legal_law": "《四川省社会治安综合治理条例》",
            "legal_article": "第十九条",
            "higher_document_number": "内委办〔2017〕58号",
            "need_statement": "治安问题发现在社区、化解在社区。",
            "work_plan": "每个网格配备网格员，区委政法委统一培训并按季度拨付工作经费。",
            "funding_source": "综治专项经费",
            "minutes_per_occurrence": 60,
            "occurrences_per_year": 48,
        },
    },
    {
        "clerk": "szq_wj_clerk",
        "head": "szq_wj_head",
        "valid": (dt.date(2019, 1, 1), dt.date(2019, 12, 31)),
        "scope": {ZHONGGULOU: 16_400_000, JIANDAOJIE: 2_850_000},
        "values": {
            "title": "创建国家卫生城市社区环境卫生整治协助",
            "content": "社区协助区爱卫办开展背街小巷环境卫生整治、病媒生物防制和健康教育宣传。",
            "service_objects": "辖区居民和沿街商户",
            "legal_law": "《国家卫生城市标准》",
            "legal_article": "第三条",
            "higher_document_number": "内爱卫〔2018〕12号",
            "need_statement": "老城区背街小巷多，环境卫生整治需社区就近组织。",
            "work_plan": "区爱卫办（设在区卫健局）统一部署、提供药品器械，社区组织整治并按月报送。",
            "funding_source": "创卫专项经费",
            "minutes_per_occurrence": 90,
            "occurrences_per_year": 24,
        },
    },
]

# How a year's money was used (seed 000: 便民服务、创卫、综治): (percent of it, memo, voucher
# name); the last use takes what is left.
USES = {
    "综治专项经费": [
        (55, "综治网格员入户巡查补贴", "网格员巡查补贴发放表.pdf"),
        (None, "治安视频监控维护及矛盾纠纷调解室运行", "视频监控维护服务发票.pdf"),
    ],
    "创卫专项经费": [
        (50, "背街小巷环境卫生整治劳务费", "环境卫生整治劳务费结算单.pdf"),
        (30, "病媒生物防制药品及器械采购", "病媒防制药品采购发票.pdf"),
        (None, "创卫宣传资料印制及公益广告", "创卫宣传资料印制发票.pdf"),
    ],
    WORK_FUNDS: [
        (45, "社区党务群团活动经费", "党群活动经费支出明细.pdf"),
        (None, "便民服务中心水电费及办公用品", "便民服务中心水电费发票.pdf"),
    ],
}


def _pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF showing `lines` (ASCII), small enough to keep dozens of in the demo."""
    # PDF strings escape backslashes and parentheses; ' shows one on the next line.
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    shown = " ".join(f"({line}) '" for line in escaped)
    stream = f"BT /F1 12 Tf 16 TL 56 790 Td {shown} ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


class _Ledger:
    """The demo's hands on the ledger: who moves money, and a numbered voucher for each spend."""

    def __init__(self, people: dict[str, User]):
        self.people = people
        self.regions = {
            r.code: r
            for r in Region.objects.select_related("parent").filter(
                level=RegionLevel.COMMUNITY, code__startswith=DISTRICT[:6]
            )
        }
        self.vouchers = 0

    def appropriate(self, budget: Account, amount: int, year: int, memo: str) -> None:
        services.ledger_appropriate(
            actor=self.people["finance_officer"],
            budget=budget,
            amount_fen=amount,
            memo=memo,
            year=year,
        )

    def allocate_base(self, budget: Account, code: str, amount: int, year: int, memo: str) -> None:
        services.ledger_allocate_base(
            actor=self.people["finance_officer"],
            budget=budget,
            community=self.regions[code],
            amount_fen=amount,
            memo=memo,
            year=year,
        )

    def transfer(
        self,
        clerk: str,
        budget: Account,
        admission: Admission,
        allocations: list[tuple[str, int]],
        year: int,
        memo: str,
    ) -> LedgerTransaction:
        return services.ledger_transfer(
            actor=self.people[clerk],
            budget=budget,
            admission=admission,
            allocations=allocations,
            memo=memo,
            year=year,
        )

    def spend(
        self,
        code: str,
        amount: int,
        year: int,
        memo: str,
        voucher_name: str,
        admission: Admission | None = None,
    ) -> None:
        community = self.regions[code]
        # The street that keeps the community's account (居财街管) records the spending.
        officer = "street_officer" if community.parent_id == "511002001000" else "street_officer2"
        self.vouchers += 1
        number = f"SZ-{year}-{self.vouchers:04d}"
        voucher = services.voucher_store(
            actor=self.people[officer],
            name=f"{year}年{community.name}{voucher_name}",
            content=_pdf(
                [
                    "Shizhong District, Neijiang - community funds voucher",
                    f"No. {number}",
                    f"Budget year: {year}",
                    f"Community code: {code}",
                    f"Amount: CNY {format_fen(amount)}",
                    "Paid from the street's unified account (ju cai jie guan)",
                ]
            ),
        )
        services.ledger_spend(
            actor=self.people[officer],
            community=community,
            admission=admission,
            amount_fen=amount,
            memo=memo,
            year=year,
            voucher=voucher,
        )

    def spend_all(
        self, code: str, total: int, year: int, uses: str, admission: Admission | None = None
    ) -> None:
        """Spend `total` in full, split over the uses, in whole yuan but for the last."""
        left = total
        for percent, memo, voucher_name in USES[uses]:
            amount = left if percent is None else total * percent // 100 // 100 * 100
            self.spend(code, amount, year, memo, voucher_name, admission)
            left -= amount


@transaction.atomic
def funds_demo_load(*, password: str) -> list[tuple[str, str, str]]:
    """Demo money; returns the extra login rows (username, role label, unit) to print.

    Loads nothing if the ledger has any transaction, so running it again adds no money.
    """
    if LedgerTransaction.objects.exists():
        return []
    district = Region.objects.get(code=DISTRICT)
    people = {u.username: u for u in User.objects.select_related("unit__region")}
    # 区委政法委 leads 社会治安综合治理; the demo's departments do not include it yet.
    unit_create(
        actor=people["system_admin"],
        name=POLITICS_AND_LAW,
        unit_type=UnitType.DEPARTMENT,
        region=district,
    )
    units = {u.name: u for u in Unit.objects.filter(district_code=DISTRICT)}
    rows = []
    for username, role, unit_name in SZQ_ACCOUNTS:
        account_create(
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
    admissions = [_seed_admission(_Demo(people), spec) for spec in ADMISSIONS]
    ledger = _Ledger(people)
    _seed_000(ledger, units, admissions)
    _this_year(ledger, units)
    funding_tripwire()
    return rows


def _seed_admission(demo: _Demo, spec: dict) -> Admission:
    """One of seed 000's admissions, approved through the real procedure, then moved into the
    year it stood for."""
    values = {
        "object_kind": "task",
        "target_level": "community",
        "list_kind": "assist",
        **spec["values"],
    }
    application = demo.create(spec["clerk"], values, list(spec["scope"].items()))
    application = demo.to_review(
        application, clerk=spec["clerk"], head=spec["head"], reviewer="review_officer"
    )
    application = demo.act("review_officer", application, "accept", criteria=ALL_CRITERIA)
    application = demo.consult(application, secretary="group_secretary", answers={})
    application = demo.act("group_secretary", application, "close_consultation")
    application = demo.decide(application, "group_secretary", DecisionOutcome.APPROVE)
    return _into_the_past(application.admissions.get(), *spec["valid"])


def _into_the_past(admission: Admission, valid_from: dt.date, valid_until: dt.date) -> Admission:
    """Move the admission just issued into the register of the year it stood for.

    Services issue admissions from today only. The admission takes the next number of its own
    year and gives today's back (it is the last one issued), keeping every year without gaps.
    """
    today = AdmissionCounter.objects.get(district=admission.district, year=admission.year)
    if today.last != admission.sequence:
        raise RuntimeError(f"{admission.number} is not the last admission issued this year")
    today.last -= 1
    today.save(update_fields=["last"])
    year = valid_from.year
    counter, _created = AdmissionCounter.objects.get_or_create(
        district=admission.district, year=year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    prefix = admission.number.split("准〔", 1)[0]
    Admission.objects.filter(pk=admission.pk).update(
        year=year,
        sequence=counter.last,
        number=f"{prefix}准〔{year}〕{counter.last}号",
        valid_from=valid_from,
        valid_until=valid_until,
    )
    # The agreement rendered after the commit shows today's number: drop it, so that it is
    # rendered again, with the right number, when first downloaded.
    transaction.on_commit(
        lambda: Admission.objects.filter(pk=admission.pk).update(
            agreement_pdf=b"", agreement_sha256=""
        )
    )
    admission.refresh_from_db()
    return admission


def _seed_000(ledger: _Ledger, units: dict[str, Unit], admissions: list[Admission]) -> None:
    """2018 and 2019 in 城东街道: base work funds and 费随事转 money, all of it spent."""
    finance = units[FINANCE_OFFICE]
    work_funds = services.budget_line(finance, WORK_FUNDS)
    for year in (2018, 2019):
        ledger.appropriate(
            work_funds,
            BASE_WORK_FUNDS_FEN * len(SEED_COMMUNITIES),
            year,
            f"{year}年社区工作经费预算（钟鼓楼社区、箭道街社区各9.15万元）",
        )
        for code in SEED_COMMUNITIES:
            ledger.allocate_base(
                work_funds,
                code,
                BASE_WORK_FUNDS_FEN,
                year,
                f"{year}年社区工作经费（保障党务群团等基本工作运转）",
            )
        for admission, spec in zip(admissions, ADMISSIONS, strict=True):
            if not admission.valid_from.year <= year <= admission.valid_until.year:
                continue
            budget = services.budget_line(admission.department, admission.funding_source)
            money = list(spec["scope"].items())
            ledger.appropriate(
                budget,
                sum(amount for _code, amount in money),
                year,
                f"{year}年{admission.funding_source}预算（{admission.title}）",
            )
            ledger.transfer(
                spec["clerk"],
                budget,
                admission,
                money,
                year,
                f"{year}年{admission.title}工作经费（费随事转，准入 {admission.number}）",
            )
            for code, amount in money:
                ledger.spend_all(code, amount, year, admission.funding_source, admission)
        for code in SEED_COMMUNITIES:
            ledger.spend_all(code, BASE_WORK_FUNDS_FEN, year, WORK_FUNDS)


def _civil_affairs(title: str) -> Admission:
    return Admission.objects.get(title=title, department__name=CIVIL_AFFAIRS)


def _committed(admission: Admission, year: int) -> dict[str, int]:
    return {f.region_id: f.committed for f in funding_of(admission=admission, year=year)}


def _this_year(ledger: _Ledger, units: dict[str, Unit]) -> None:
    """This year's base funds for every community of 市中区, seed 002's office funds, 区民政局's
    admissions funded with a gap and a community left without money, and some spending."""
    year = timezone.localdate().year
    finance = units[FINANCE_OFFICE]
    codes = sorted(ledger.regions)
    work_funds = services.budget_line(finance, WORK_FUNDS)
    ledger.appropriate(
        work_funds,
        BASE_WORK_FUNDS_FEN * len(codes),
        year,
        f"{year}年社区工作经费预算（每个社区9.15万元）",
    )
    for code in codes:
        ledger.allocate_base(
            work_funds, code, BASE_WORK_FUNDS_FEN, year, f"{year}年社区工作经费（第一批）"
        )

    # Seed 002: office funds by the number of workers, no longer a flat sum per community.
    workers = dict(
        CommunityCapacity.objects.filter(community_id__in=codes, workers__gt=0).values_list(
            "community_id", "workers"
        )
    )
    office_funds = services.budget_line(finance, OFFICE_FUNDS)
    ledger.appropriate(
        office_funds,
        OFFICE_FUNDS_PER_WORKER_FEN * sum(workers.values()),
        year,
        f"{year}年社区办公经费预算（按社区工作者人数核定）",
    )
    for code, count in sorted(workers.items()):
        ledger.allocate_base(
            office_funds,
            code,
            OFFICE_FUNDS_PER_WORKER_FEN * count,
            year,
            f"{year}年社区办公经费：按每人每年3000元核定（原每个社区每年8000元），"
            f"{count}人 × 3000元",
        )

    # 区民政局's admissions. Last winter's visits were funded and spent in full.
    civil_affairs = services.budget_line(units[CIVIL_AFFAIRS], "区级财政专项")
    winter = _civil_affairs("冬季困难群众走访慰问")
    last_year = winter.valid_from.year
    committed = _committed(winter, last_year)
    ledger.appropriate(
        civil_affairs,
        sum(committed.values()),
        last_year,
        f"{last_year}年区级财政专项：民政协助经费",
    )
    ledger.transfer(
        "dept_clerk",
        civil_affairs,
        winter,
        sorted(committed.items()),
        last_year,
        f"{last_year}年冬季困难群众走访慰问协助经费（按准入有效期折算）",
    )
    for code, amount in sorted(committed.items()):
        ledger.spend(
            code,
            amount,
            last_year,
            "走访慰问交通及慰问品采购",
            "走访慰问支出凭证.pdf",
            admission=winter,
        )

    ledger.appropriate(
        civil_affairs, 20_000_000, year, f"{year}年区级财政专项：民政协助经费（费随事转）"
    )
    # 高龄津贴申领初审: 钟鼓楼社区 in full, 箭道街社区 only half so far (到位率 50%).
    elderly = _civil_affairs("高龄津贴申领初审")
    committed = _committed(elderly, year)
    ledger.transfer(
        "dept_clerk",
        civil_affairs,
        elderly,
        [(ZHONGGULOU, committed[ZHONGGULOU]), (JIANDAOJIE, committed[JIANDAOJIE] // 2)],
        year,
        f"{year}年高龄津贴申领初审协助经费（按准入有效期折算；箭道街社区先拨一半）",
    )
    # 残疾人两项补贴申请受理: every community but 西林社区, which has had nothing. 桂湖街社区's
    # first transfer was keyed ten times too large and is reversed.
    disability = _civil_affairs("残疾人两项补贴申请受理")
    # It took effect six weeks ago (within this year), so 西林社区's money is past its due day
    # and the tripwire suspends the admission there. The agreement is drawn again on download.
    Admission.objects.filter(pk=disability.pk).update(
        valid_from=max(timezone.localdate() - dt.timedelta(days=42), dt.date(year, 1, 1)),
        agreement_pdf=b"",
        agreement_sha256="",
    )
    disability.refresh_from_db()
    committed = _committed(disability, year)
    wrong = ledger.transfer(
        "dept_clerk",
        civil_affairs,
        disability,
        [(GUIHUJIE, committed[GUIHUJIE] * 10)],
        year,
        f"{year}年残疾人两项补贴申请受理协助经费",
    )
    services.ledger_reverse(
        actor=ledger.people["dept_clerk"], original=wrong, reason="金额多录一位，冲正后重新拨付"
    )
    ledger.transfer(
        "dept_clerk",
        civil_affairs,
        disability,
        [(code, committed[code]) for code in (ZHONGGULOU, JIANDAOJIE, GUIHUJIE)],
        year,
        f"{year}年残疾人两项补贴申请受理协助经费（按准入有效期折算）",
    )

    # Part of this year's money spent: two fifths of 钟鼓楼社区's 高龄津贴 money, in whole yuan.
    elderly_spend = _committed(elderly, year)[ZHONGGULOU] * 2 // 5 // 100 * 100
    ledger.spend(
        ZHONGGULOU,
        max(elderly_spend, 100),
        year,
        "高龄津贴申领材料复印及入户核对交通补贴",
        "高龄津贴入户核对交通补贴发放表.pdf",
        admission=elderly,
    )
    ledger.spend(ZHONGGULOU, 2_800_000, year, "社区党务群团活动经费", "党群活动经费支出明细.pdf")
    ledger.spend(ZHONGGULOU, 320_000, year, "办公用品及打印耗材", "办公用品采购发票.pdf")
    ledger.spend(
        JIANDAOJIE, 1_260_000, year, "便民服务中心水电费及办公用品", "便民服务中心水电费发票.pdf"
    )
    ledger.spend(XILIN, 980_000, year, "社区居民议事会及志愿服务活动", "志愿服务活动支出明细.pdf")
