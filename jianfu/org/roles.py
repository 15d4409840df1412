"""The roles of DESIGN.md §2 and which of them are the three separated administrators."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DEPT_CLERK = "dept_clerk", _("部门经办人")
    DEPT_HEAD = "dept_head", _("部门负责人")
    REVIEW_OFFICER = "review_officer", _("准入初审员")
    GROUP_SECRETARY = "group_secretary", _("领导小组办公室")
    STREET_OFFICER = "street_officer", _("街道工作人员")
    COMMUNITY_OFFICER = "community_officer", _("社区工作者")
    FINANCE_OFFICER = "finance_officer", _("财务人员")
    AUDITOR = "auditor", _("审计人员")
    EVALUATOR = "evaluator", _("评议代表")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


# 三权分立 (等保 2.0 level 3): these three duties are never held by one account, and an
# administrator account holds no business role either.
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# The district's offices that oversee every department's work in the district.
DISTRICT_ROLES = (Role.REVIEW_OFFICER, Role.GROUP_SECRETARY, Role.FINANCE_OFFICER, Role.AUDITOR)
