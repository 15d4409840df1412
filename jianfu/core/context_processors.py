from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# (label, url name, permission or None for every logged-in user)
NAVIGATION = [
    (_("首页"), "home", None),
    (_("清单"), "catalog_index", "catalog.view_lists"),
    (_("区划管理"), "region_index", "org.manage_regions"),
    (_("单位管理"), "unit_index", "org.manage_units"),
    (_("账号管理"), "account_index", "org.manage_users"),
    (_("审计记录"), "audit_list", "core.view_audit"),
    (_("接口令牌"), "token_index", None),
]


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for label, name, permission in NAVIGATION:
        if permission and not user.has_perm(permission):
            continue
        url = reverse(name)
        active = request.path == url if name == "home" else request.path.startswith(url)
        items.append({"label": label, "url": url, "active": active})
    return {"navigation": items}
