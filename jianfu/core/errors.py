"""Errors services raise; views turn them into form errors, the API into JSON error bodies."""

from typing import Any

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A refusal the user can understand: a machine-readable code and a translated message."""

    code = "invalid"
    status = 400
    default_message = _("请求无法完成。")

    def __init__(self, message: Any = None, *, details: Any = None, code: str | None = None):
        self.message = message or self.default_message
        self.details = details
        if code:
            self.code = code
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422
    default_message = _("输入有误，请检查后重试。")


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    default_message = _("您没有执行此操作的权限。")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = _("未找到该对象，或您无权查看。")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message = _("该操作与现有数据冲突。")


class TooManyAttempts(DomainError):
    code = "too_many_attempts"
    status = 429
    default_message = _("尝试次数过多，请稍后再试。")
