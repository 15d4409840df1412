from urllib.parse import quote

import rules
from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.functional import cached_property
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from jianfu.admission.selectors import APPLICATION_ROLES
from jianfu.burden.selectors import BURDEN_ROLES
from jianfu.certificates.selectors import CERTIFICATE_ROLES
from jianfu.core.notifications import notifications_unread
from jianfu.evaluation.assessment_selectors import ASSESSMENT_ROLES
from jianfu.evaluation.selectors import EVALUATION_ROLES
from jianfu.funds.selectors import FUNDS_ROLES
from jianfu.org.roles import DISTRICT_ROLES, Role

# (label, url name, who sees it: a permission, a tuple of roles, or None for every logged-in user)
NAVIGATION = [
    (_("首页"), "home", None),
    (
        _("减负成效"),
        "stats_home",
        (
            *DISTRICT_ROLES,
            Role.DEPT_CLERK,
            Role.DEPT_HEAD,
            Role.STREET_OFFICER,
            Role.COMMUNITY_OFFICER,
        ),
    ),
    (_("清单"), "catalog_index", "catalog.view_lists"),
    (_("准入申请"), "application_index", APPLICATION_ROLES),
    (_("准入登记"), "admission_index", None),
    (_("任务派发"), "task_index", (Role.DEPT_CLERK, Role.DEPT_HEAD, *DISTRICT_ROLES)),
    (_("任务收件箱"), "inbox", (Role.COMMUNITY_OFFICER, Role.STREET_OFFICER)),
    (_("拒绝审核"), "refusal_reviews", (Role.STREET_OFFICER, Role.GROUP_SECRETARY)),
    (_("违规统计"), "violations", DISTRICT_ROLES),
    # The annual notice (通报): the group office makes it, the district's offices read it.
    (_("年度通报"), "notice_index", DISTRICT_ROLES),
    (_("经费账户"), "funds_accounts", FUNDS_ROLES),
    (_("社区经费"), "funds_community", (Role.COMMUNITY_OFFICER,)),
    # A community reads its own money under 社区经费; the report is for those who oversee it.
    (
        _("经费到位"),
        "funds_report",
        (*DISTRICT_ROLES, Role.DEPT_CLERK, Role.DEPT_HEAD, Role.STREET_OFFICER),
    ),
    # The annual evaluation: everyone working in a district reads its campaigns.
    (_("评议"), "evaluation_index", EVALUATION_ROLES),
    (_("我的选票"), "evaluation_my_ballots", (Role.EVALUATOR,)),
    (_("派驻机构考核"), "assessment_index", ASSESSMENT_ROLES),
    (_("开具证明"), "certificates_index", CERTIFICATE_ROLES),
    (_("负担台账"), "burden_index", BURDEN_ROLES),
    (_("区划管理"), "region_index", "org.manage_regions"),
    (_("单位管理"), "unit_index", "org.manage_units"),
    (_("账号管理"), "account_index", "org.manage_users"),
    (_("节假日与调休"), "calendar_edit", "core.manage_calendar"),
    (_("审计记录"), "audit_list", "core.view_audit"),
    (_("接口令牌"), "token_index", None),
]


def _allowed(user, rule) -> bool:
    if rule is None:
        return True
    if isinstance(rule, tuple):
        return user.has_role(*rule)
    # The navigation's permissions are the rules' predicates, which decide from the roles already
    # read. user.has_perm would, for each one refused, also ask ModelBackend, whose two queries
    # (the user's and their groups' Django permissions) nothing in Jianfu ever grants.
    return (user.is_active and user.is_superuser) or rules.has_perm(rule, user)


# The portal's navigation as rendered, by (language, page's URL name, script prefix, URLconf).
# It depends on nothing else, and the public pages answer many readers each, so each process
# renders it once per language and page (about a millisecond each time otherwise).
_portal_navigation: dict[tuple, str] = {}


# The portal's language links as rendered, by (language, script prefix, URLconf): each link as the
# text before and after the page's own address, which is all that changes from page to page.
_portal_language_links: dict[tuple, list[tuple[str, str]]] = {}


class PortalFrame:
    """The parts of the public portal's frame (templates/portal/base.html) that are the same for
    every reader of a page, rendered only when a page uses them."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def language_links(self) -> str:
        """Links to read this page in each language (through the view that sets the cookie)."""
        current = get_language()
        key = (current, get_script_prefix(), get_urlconf())
        parts = _portal_language_links.get(key)
        if parts is None:
            parts = _portal_language_links[key] = [
                (
                    format_html('<a href="{}?next=', reverse("portal_language", args=[code])),
                    format_html(
                        '" lang="{0}" hreflang="{0}" rel="nofollow" data-testid="lang-{0}"{1}>{2}</a>',
                        code,
                        mark_safe(' class="current" aria-current="true"')
                        if code == current
                        else "",
                        get_language_info(code)["name_local"],
                    ),
                )
                for code, _name in settings.LANGUAGES
            ]
        here = escape(quote(self.request.get_full_path()))
        return mark_safe("".join(before + here + after for before, after in parts))  # noqa: S308

    @cached_property
    def navigation(self) -> str:
        match = getattr(self.request, "resolver_match", None)
        here = match.url_name if match is not None else None
        key = (get_language(), here, get_script_prefix(), get_urlconf())
        html = _portal_navigation.get(key)
        if html is None:
            html = render_to_string("portal/navigation.html", {"here": here})
            _portal_navigation[key] = html
        return html


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"portal": PortalFrame(request)}
    items = []
    for label, name, rule in NAVIGATION:
        if not _allowed(user, rule):
            continue
        url = reverse(name)
        active = request.path == url if name == "home" else request.path.startswith(url)
        # Translated here, once: the lazy label would be translated again at every use.
        items.append({"label": str(label), "url": url, "active": active})
    # One entry is current: the one with the longest URL the path starts with (/tasks/refusals/
    # is 拒绝审核, not 任务派发 at /tasks/).
    current = max(
        (item for item in items if item["active"]), key=lambda i: len(i["url"]), default=None
    )
    for item in items:
        item["active"] = item is current
    return {
        "navigation": items,
        "unread_notifications": notifications_unread(user=user).count(),
        "portal": PortalFrame(request),
    }
