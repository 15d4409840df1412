"""The standard explanations a community hands a resident when it may not certify something.

Not translated: each is the wording of a Chinese notice given to a resident, citing Chinese
documents (seed 004 and 民发〔2020〕20号), like the admission's refusal basis.
"""

from __future__ import annotations

from jianfu.catalog.models import Item
from jianfu.certificates.models import RefusalGround

GUIDANCE = (
    "民政部等六部门《关于改进和规范基层群众性自治组织出具证明工作的指导意见》（民发〔2020〕20号）"
)
SEAL_RULE = (
    "社区只对法律、法规和规章明确规定需社区提供证明、属于社区职责范围且社区能够如实掌握情况的事项"
    "盖章证明。各部门、企事业单位、社会组织等职责范围内的证明事项，不得要求社区出具证明。"
)


def banned_explanation(type_name: str, item: Item) -> str:
    source = item.version.list.name
    document = item.version.document_number
    cited = f"《{source}》{f'（{document}）' if document else ''}"
    return (
        f"您申请的“{type_name}”属于{cited}所列“{item.name}”，"
        f"根据{GUIDANCE}，不应由社区（居委会、村委会）出具，社区不予出具。"
        "请向要求您提供证明的单位说明：该单位可以通过部门间信息共享核查、"
        "申请人书面承诺或向有关主管部门核实等方式办理，不得要求社区出具。"
    )


def unlisted_explanation(type_name: str, list_names: list[str]) -> str:
    lists = "、".join(f"《{name}》" for name in list_names) or "本区社区可出具证明事项清单"
    return (
        f"您申请的“{type_name}”不在{lists}之内，社区不予出具。{SEAL_RULE}"
        "如要求您提供证明的单位认为确需社区出具，请该单位提供所依据的法律、法规、规章的具体条款。"
    )


def ground_explanation(ground: str, type_name: str, note: str) -> str:
    """The explanation for a refusal decided after a request was taken (the officer's note
    follows the standard sentence)."""
    sentences = {
        RefusalGround.NO_LEGAL_BASIS: (
            "要求出具证明的单位须提供所依据的法律、法规、规章等的具体条款内容；"
            "未提供的，社区不予出具。"
        ),
        RefusalGround.ASKERS_OWN_DUTY: (
            "该证明事项属于要求出具证明单位自身职责范围，依规定不得要求社区出具证明。"
        ),
        RefusalGround.CANNOT_VERIFY: "社区无法如实掌握该证明所涉情况，不能盖章证明。",
        RefusalGround.MATERIALS_MISSING: (
            "申请人应当提供本人身份证、户口本及证明事项的有关佐证材料，说明出具证明的原因、用途，"
            "并承诺有关证明信息属实；材料不全或未作承诺的，社区暂不出具。"
        ),
        RefusalGround.OTHER: "",
    }
    text = f"您申请的“{type_name}”，社区不予出具。{sentences.get(ground, '')}"
    return f"{text}{note.strip()}" if note.strip() else text
