"""System checks (`jianfu check`) for what the server itself must provide."""

from django.core import checks
from django.utils.translation import gettext as _

from jianfu.core import pdf


@checks.register("jianfu")
def cjk_font_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Warn when no CJK font is installed: PDFs would show empty boxes instead of Chinese."""
    if pdf.cjk_font_available():
        return []
    return [
        checks.Warning(
            _("未安装中文（CJK）字体，无法生成 PDF 文件。"),
            hint=_("请安装 Noto CJK 字体：apt install fonts-noto-cjk"),
            id="jianfu.W001",
        )
    ]
