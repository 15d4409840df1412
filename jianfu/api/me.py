from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["me"])


class RoleOut(Schema):
    code: str
    label: str


class UnitBrief(Schema):
    id: int
    name: str
    type: str


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[RoleOut]
    unit: UnitBrief | None
    region_code: str | None


@router.get("/me", response=MeOut, summary="当前用户 · The calling user")
def me(request: HttpRequest) -> dict:
    from jianfu.org.roles import Role

    user = request.auth
    unit = user.unit
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": [{"code": r, "label": str(Role(r).label)} for r in sorted(user.role_set)],
        "unit": unit,
        "region_code": unit.region_id if unit else None,
    }
