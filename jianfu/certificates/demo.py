"""Demo certificates in 内江市市中区, through the real services by the people whose job it is.

Loaded after the evaluation demo. The district's leadership-group office sets, for each type of
its published certificate list (《市中区社区可出具证明事项清单》, from the lists demo), the use, the
materials a resident brings (ID card, household register, evidence) and the certificate's
wording. Then:

- 钟鼓楼社区 (`community_officer` takes requests and issues, `community_head` approves each use
  of the seal) issued four certificates, one of which was revoked (a family member left out) and
  issued again corrected; refused on the spot what no community may certify (无犯罪记录证明
  asked by an employer, 居民养犬证明 asked by a police station) and what is on no list (个人收入
  证明 asked by a bank); refused a listed type whose asking body cited no clause; and has a request
  waiting for the resident's household register. It used its seal for work twice.
- 西林社区 (`community_officer2`, approved by `community_head2`, whom this demo adds) issued two
  certificates, refused 婚姻状况证明 asked by a bank for a mortgage, and used its seal for work.

The residents are made up; their ID numbers are fictitious but valid (市中区's prefix 511002, a
real birth date, the GB 11643 check character), so they pass the same checks as real ones.
"""

from __future__ import annotations

from django.db import transaction

from jianfu.certificates import services
from jianfu.certificates.models import CertificateRequest, RefusalGround
from jianfu.certificates.selectors import allowed_items
from jianfu.core.id_numbers import check_character
from jianfu.org.models import Region, Unit, User
from jianfu.org.roles import Role
from jianfu.org.services import account_create

DISTRICT = "511002000000"  # 市中区
ZHONGGULOU, XILIN = "511002001001", "511002002001"
ID_PREFIX = "511002"
MATERIALS = ["申请人身份证", "户口簿", "相关佐证材料"]
# 西林社区's head, who approves the uses of its seal.
ACCOUNTS = [("community_head2", Role.COMMUNITY_OFFICER, "西林社区居民委员会")]

# Per listed type: (use, materials beyond the three every request needs, the certificate's
# wording, days valid). ＿＿ marks what the officer fills in for each request.
TYPES = {
    "居民居家死亡情况说明（非正常死亡除外）": (
        "居民在家中正常死亡、未经医疗机构救治的，供医疗卫生机构出具《居民死亡医学证明（推断）书》"
        "和办理殡葬事宜时参考。",
        ["死者身份证和户口簿", "与死者关系的证明材料"],
        "兹有本社区居民{name}（公民身份号码：{id_number}）报告，其亲属＿＿于＿＿在家中死亡。"
        "经社区工作人员上门了解并向邻居核实，死者生前患有＿＿，未发现非正常死亡情形。"
        "本说明应{asking_body}要求出具，仅用于{purpose}。",
        30,
    ),
    "养老保险待遇领取人死亡的与死亡人员关系证明": (
        "养老保险待遇领取人死亡后，其亲属申领丧葬补助金、抚恤金时证明与死亡人员的关系。",
        ["死亡人员身份证、户口簿或死亡证明", "结婚证或出生医学证明等关系材料"],
        "兹证明{name}（公民身份号码：{id_number}）与本社区已故居民＿＿系＿＿关系，"
        "经社区核对户籍资料和关系材料属实。本证明应{asking_body}要求出具，仅用于{purpose}。",
        90,
    ),
    "非农业户籍人员有土地承包经营权的身份证明": (
        "非农业户籍人员依法保有土地承包经营权的，证明其身份情况。",
        ["土地承包经营权证或承包合同"],
        "兹证明{name}（公民身份号码：{id_number}）系本社区居民，户籍性质为＿＿，"
        "持有＿＿土地承包经营权证。本证明应{asking_body}要求出具，仅用于{purpose}。",
        90,
    ),
    "申请继承不动产登记时的关系证明": (
        "申请继承不动产登记时，证明申请人与被继承人之间的亲属关系。",
        ["被继承人死亡证明", "不动产权属证书", "亲属关系材料"],
        "兹证明{name}（公民身份号码：{id_number}）与被继承人＿＿系＿＿关系，"
        "经社区核对户籍资料属实。本证明应{asking_body}要求出具，仅用于{purpose}。",
        90,
    ),
    "代为申请不动产登记时指定监护人代办的监护关系证明": (
        "监护人代被监护人申请不动产登记时，证明其监护关系。",
        ["被监护人身份证和户口簿", "指定监护的相关文书"],
        "兹证明{name}（公民身份号码：{id_number}）系本社区居民＿＿的监护人，"
        "监护关系经＿＿指定。本证明应{asking_body}要求出具，仅用于{purpose}。",
        90,
    ),
    "对监护人确定有争议时的指定监护意见": (
        "对监护人的确定有争议的，社区居民委员会依法指定监护人的书面意见。",
        ["被监护人身份证和户口簿", "有监护资格人员的身份材料和意见"],
        "本社区居民＿＿的监护人确定有争议。经听取有监护资格人员的意见，按照最有利于被监护人的原则，"
        "指定{name}（公民身份号码：{id_number}）担任其监护人。应{asking_body}要求出具，"
        "用于{purpose}。",
        365,
    ),
    "居民委员会担任监护人的监护证明": (
        "没有依法具有监护资格的人，由居民委员会担任监护人时出具。",
        ["被监护人身份证和户口簿", "无其他监护人的说明材料"],
        "本社区居民{name}（公民身份号码：{id_number}）没有依法具有监护资格的人，"
        "由本居民委员会担任其监护人。应{asking_body}要求出具，用于{purpose}。",
        365,
    ),
    "临时救助家庭情况说明": (
        "居民申请临时救助时，说明其家庭遭遇急难的情况。",
        ["家庭成员身份证明", "遭遇急难的相关材料（如医疗费用票据）"],
        "兹有本社区居民{name}（公民身份号码：{id_number}），家庭共＿＿人，＿＿。"
        "经社区工作人员入户核实，情况属实。本说明应{asking_body}要求出具，仅用于{purpose}。",
        60,
    ),
    "最低生活保障申请民主评议意见": (
        "居民申请最低生活保障时，社区组织民主评议后出具评议意见。",
        ["家庭经济状况核对授权书", "家庭收入和财产申报材料"],
        "本社区居民{name}（公民身份号码：{id_number}）申请城市最低生活保障。"
        "社区于＿＿组织民主评议，＿＿。本意见应{asking_body}要求出具，用于{purpose}。",
        60,
    ),
    "特困人员救助供养申请情况核实意见": (
        "居民申请特困人员救助供养时，社区核实其基本情况后出具意见。",
        ["无劳动能力或无生活来源的证明材料"],
        "经入户核实，本社区居民{name}（公民身份号码：{id_number}）＿＿。"
        "本意见应{asking_body}要求出具，用于{purpose}。",
        60,
    ),
    "困难残疾人生活补贴和重度残疾人护理补贴申请情况说明": (
        "残疾人申请两项补贴时，说明其家庭和生活照料情况。",
        ["残疾人证"],
        "兹有本社区居民{name}（公民身份号码：{id_number}），持有＿＿残疾人证，＿＿。"
        "经社区入户核实，情况属实。本说明应{asking_body}要求出具，仅用于{purpose}。",
        90,
    ),
    "困难家庭学生教育资助申请情况说明": (
        "困难家庭学生申请教育资助时，说明其家庭经济情况。",
        ["学生证或入学通知书", "家庭困难情况材料（如低保证、残疾人证）"],
        "兹有本社区居民{name}（公民身份号码：{id_number}），其子女＿＿就读于＿＿。"
        "该户＿＿，经社区入户核实属实。本说明应{asking_body}要求出具，仅用于{purpose}。",
        180,
    ),
    "社区矫正调查评估意见": (
        "社区矫正决定机关委托调查评估时，社区提供的被告人或罪犯居住地情况意见。",
        ["社区矫正机构的调查评估委托函"],
        "受{asking_body}委托，经走访调查，{name}（公民身份号码：{id_number}）在本社区居住情况为＿＿，"
        "社区意见：＿＿。本意见仅用于{purpose}。",
        30,
    ),
    "计划生育特别扶助对象家庭情况核实意见": (
        "申请计划生育特别扶助时，社区核实其家庭情况后出具意见。",
        ["独生子女父母光荣证", "子女死亡或伤残的证明材料"],
        "经核实，本社区居民{name}（公民身份号码：{id_number}）＿＿。"
        "本意见应{asking_body}要求出具，用于{purpose}。",
        90,
    ),
}

# The residents of the demo: name, birth date, sequence (odd for men, even for women), phone.
RESIDENTS = {
    "张桂芳": ("19580314", 26, "13882312647"),
    "王建军": ("19791102", 13, "13990587216"),
    "刘志强": ("19850620", 35, "15928473619"),
    "陈淑珍": ("19620908", 44, "13608164382"),
    "赵明": ("19700125", 17, "18982645103"),
    "孙丽华": ("19880517", 22, "15183264790"),
    "周建国": ("19660803", 51, "13778291654"),
    "吴晓燕": ("19930219", 8, "17713568240"),
    "杨秀兰": ("19551230", 62, "13547326891"),
    "黄伟": ("19900417", 19, "18990534627"),
    "林静": ("19861125", 4, "13881947352"),
    "何雨欣": ("19950706", 28, "18728460935"),
}


def demo_id_number(birth: str, sequence: int) -> str:
    """A fictitious but valid ID number of 市中区: prefix, birth date, sequence, check character."""
    first17 = f"{ID_PREFIX}{birth}{sequence:03d}"
    return first17 + check_character(first17)


def _resident(name: str) -> dict[str, str]:
    birth, sequence, phone = RESIDENTS[name]
    return {
        "resident_name": name,
        "id_number": demo_id_number(birth, sequence),
        "resident_phone": phone,
    }


def _statement(request: CertificateRequest, template: str, blanks: list[str]) -> str:
    """The certificate's wording: the type's template with the request's facts and the
    officer's details in the blanks."""
    text = template.format(
        name=request.resident_name,
        id_number=request.id_masked,
        purpose=request.purpose,
        asking_body=request.asking_body,
        community=request.community.name,
    )
    for blank in blanks:
        text = text.replace("＿＿", blank, 1)
    return text


class _Desk:
    """A community's certificate desk: the officer who takes requests and issues, and the head
    who approves each use of the seal."""

    def __init__(self, community: Region, officer: User, head: User, items: dict):
        self.community, self.officer, self.head, self.items = community, officer, head, items

    def take(self, type_name: str, resident: str, **fields) -> CertificateRequest:
        item = self.items.get(type_name)
        return services.certificate_request_create(
            actor=self.officer,
            community=self.community,
            item_key=item.key if item else None,
            type_name=type_name,
            **_resident(resident),
            **fields,
        )

    def issue(self, type_name: str, resident: str, blanks: list[str], copies=1, **fields):
        request = self.take(
            type_name, resident, materials_checked=self.materials(type_name), pledged=True, **fields
        )
        return services.certificate_issue(
            actor=self.officer,
            request=request,
            statement=_statement(request, TYPES[type_name][2], blanks),
            approver=self.head,
            copies=copies,
        )

    @staticmethod
    def materials(type_name: str) -> list[str]:
        return [*MATERIALS, *TYPES[type_name][1]]

    def seal(self, content: str, requester: str, phone: str = "", copies: int = 1) -> None:
        services.seal_use_record(
            actor=self.officer,
            community=self.community,
            content=content,
            approver=self.head,
            requester_name=requester,
            requester_phone=phone,
            copies=copies,
        )


def _types(secretary: User, district: Region) -> dict:
    """The district's settings for each listed type; the list's items by name."""
    items = {item.name: item for item in allowed_items(district)}
    for name, item in items.items():
        use, extra, template, days = TYPES[name]
        services.certificate_type_update(
            actor=secretary,
            district=district,
            item_key=item.key,
            use=use,
            materials=[*MATERIALS, *extra],
            template=template,
            valid_days=days,
        )
    return items


def _zhonggulou(desk: _Desk) -> None:
    desk.issue(
        "养老保险待遇领取人死亡的与死亡人员关系证明",
        "张桂芳",
        ["李国华", "夫妻"],
        asking_body="内江市市中区社会保险事业管理局",
        asking_clause="《中华人民共和国社会保险法》第十七条",
        asking_clause_text="参加基本养老保险的个人，因病或者非因工死亡的，其遗属可以领取丧葬补助金和抚恤金。",
        purpose="申领丈夫李国华的丧葬补助金和遗属抚恤金",
    )
    desk.issue(
        "困难家庭学生教育资助申请情况说明",
        "王建军",
        ["王浩", "内江市第六中学高一年级", "系城市最低生活保障家庭，妻子患慢性病长期服药"],
        asking_body="内江市第六中学学生资助管理办公室",
        asking_clause="《社会救助暂行办法》第三十三条",
        purpose="为其子王浩申请普通高中国家助学金",
    )
    wrong, _code = desk.issue(
        "临时救助家庭情况说明",
        "刘志强",
        ["3", "本人于本月突发脑梗住院治疗，自付医疗费用4.6万元，妻子无固定收入"],
        asking_body="内江市市中区城东街道办事处",
        asking_clause="《社会救助暂行办法》第四十八条",
        purpose="申请临时救助",
    )
    services.certificate_revoke(
        actor=desk.officer,
        certificate=wrong,
        reason="家庭人口漏记一名在读的未成年子女，收回作废，另行出具。",
    )
    desk.issue(
        "临时救助家庭情况说明",
        "刘志强",
        ["4", "本人于本月突发脑梗住院治疗，自付医疗费用4.6万元，妻子无固定收入，女儿在读初中"],
        asking_body="内江市市中区城东街道办事处",
        asking_clause="《社会救助暂行办法》第四十八条",
        purpose="申请临时救助",
    )

    # Refused on the spot: what no community may certify, and what is on no list.
    desk.take(
        "无犯罪记录证明",
        "孙丽华",
        asking_body="内江恒信物业服务有限公司",
        purpose="入职前背景审查",
    )
    desk.take(
        "居民养犬证明",
        "周建国",
        asking_body="内江市公安局市中区分局城东派出所",
        purpose="办理养犬登记",
    )
    desk.take(
        "个人收入证明",
        "吴晓燕",
        asking_body="中国农业银行内江市中支行",
        purpose="申请个人消费贷款",
    )
    # A listed type, but the asking body cites no clause: refused after the officer asked.
    no_clause = desk.take(
        "困难家庭学生教育资助申请情况说明",
        "林静",
        asking_body="内江启航教育培训学校",
        purpose="申请培训费减免",
        materials_checked=MATERIALS,
        pledged=True,
    )
    services.certificate_refuse(
        actor=desk.officer,
        request=no_clause,
        ground=RefusalGround.NO_LEGAL_BASIS,
        note="该校为民办培训机构，其学费减免属本单位自行决定的事项。",
    )
    # Waiting: the resident went home for the household register and the evidence.
    desk.take(
        "申请继承不动产登记时的关系证明",
        "赵明",
        asking_body="内江市市中区不动产登记中心",
        asking_clause="《不动产登记暂行条例实施细则》第十四条",
        purpose="继承父亲赵德明名下住房，办理不动产转移登记",
        materials_checked=["申请人身份证"],
    )

    desk.seal(
        "《钟鼓楼社区居民议事会会议纪要》（老旧小区加装电梯协商）",
        "钟鼓楼社区居民委员会 李红梅",
        "13882304518",
        copies=3,
    )
    desk.seal(
        "报送城东街道办事处的《钟鼓楼社区上半年工作总结》",
        "钟鼓楼社区居民委员会 李红梅",
        "13882304518",
        copies=2,
    )


def _xilin(desk: _Desk) -> None:
    desk.issue(
        "最低生活保障申请民主评议意见",
        "杨秀兰",
        ["本月10日", "到会居民代表23人，22人同意，1人弃权"],
        asking_body="内江市市中区城西街道办事处",
        asking_clause="《社会救助暂行办法》第十一条",
        purpose="申请城市最低生活保障",
    )
    desk.issue(
        "困难残疾人生活补贴和重度残疾人护理补贴申请情况说明",
        "黄伟",
        ["肢体一级", "因车祸致双下肢瘫痪，生活不能自理，由母亲照料"],
        asking_body="内江市市中区残疾人联合会",
        asking_clause="《中华人民共和国残疾人保障法》第四十八条",
        purpose="申请重度残疾人护理补贴",
    )
    desk.take(
        "婚姻状况证明",
        "何雨欣",
        asking_body="中国建设银行内江分行",
        purpose="办理住房按揭贷款",
    )
    desk.seal(
        "西林社区与辖区物业服务企业签订的《环境卫生共建协议》",
        "西林社区居民委员会 何志刚",
        "13540718263",
        copies=2,
    )


@transaction.atomic
def certificates_demo_load(*, password: str) -> list[tuple[str, str, str]]:
    """The type settings and the two communities' certificates; returns the extra login rows
    (username, role label, unit). Loads nothing if any request exists, so running it again
    changes nothing."""
    if CertificateRequest.objects.exists():
        return []
    units = {u.name: u for u in Unit.objects.filter(district_code=DISTRICT)}
    rows = []
    for username, role, unit_name in ACCOUNTS:
        if not User.objects.filter(username=username).exists():
            account_create(
                actor=None,
                username=username,
                display_name=f"{Role(role).label}（演示）",
                unit=units[unit_name],
                roles=[role],
                password=password,
                granted_by_command=True,
            )
            rows.append((username, str(Role(role).label), unit_name))
    people = {u.username: u for u in User.objects.select_related("unit")}
    regions = Region.objects.in_bulk([DISTRICT, ZHONGGULOU, XILIN])
    items = _types(people["group_secretary"], regions[DISTRICT])
    _zhonggulou(
        _Desk(regions[ZHONGGULOU], people["community_officer"], people["community_head"], items)
    )
    _xilin(_Desk(regions[XILIN], people["community_officer2"], people["community_head2"], items))
    return rows
