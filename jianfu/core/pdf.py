"""PDF documents: a Django template rendered to HTML, then typeset by WeasyPrint.

Chinese needs a CJK font on the server (Debian's `fonts-noto-cjk`). Without one WeasyPrint
quietly prints empty boxes, so `render_pdf` refuses instead and the `jianfu.W001` check
(jianfu/core/checks.py) reports the missing font at start-up.

Rendering never touches the network: servers often sit on intranets without internet access,
and a document must not change with, or leak to, whatever a URL answers. Only our own static
files and inline `data:` URLs are loaded; anything else is refused and left out of the page.
"""

import functools
import mimetypes
import re
import subprocess
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from jianfu.core.errors import DomainError

# The families pdf/base.html sets: Noto Serif CJK is the closest packaged face to the Song/Fangsong
# type of official documents; Noto Sans CJK comes with the same Debian package.
PDF_FONT_FAMILY = '"Noto Serif CJK SC", "Noto Sans CJK SC", serif'

CJK_FONT_PATTERN = re.compile(r"Noto (Sans|Serif) CJK")

# Relative URLs and `{% static %}` URLs both resolve to file:///static/… against this base,
# which the fetcher below maps to the static files Django's finders know about.
STATIC_BASE_URL = "file:///static/"


class PdfFontsMissing(DomainError):
    code = "pdf_fonts_missing"
    # The server, not the request, is at fault, and installing fonts fixes it.
    status = 503
    default_message = _("无法生成 PDF：服务器未安装中文字体，请安装 fonts-noto-cjk 后重试。")


# Cached for the life of the process: fontconfig inside WeasyPrint also reads its font list once,
# so a font installed later needs a restart either way.
@functools.cache
def cjk_font_available() -> bool:
    """Whether fontconfig knows a Noto Sans or Noto Serif CJK font that covers Chinese."""
    try:
        families = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(CJK_FONT_PATTERN.search(families))


def render_pdf(*, template: str, context: dict) -> bytes:
    """Render the Django template `template` with `context` to a PDF document."""
    if not cjk_font_available():
        raise PdfFontsMissing
    # Imported here so that importing this module (the system check does) works on a machine
    # without Pango, where importing WeasyPrint fails.
    from weasyprint import HTML

    html = render_to_string(template, {"pdf_font_family": PDF_FONT_FAMILY, **context})
    return HTML(string=html, base_url=STATIC_BASE_URL, url_fetcher=_static_files_only).write_pdf()


def _static_files_only(url: str) -> dict:
    """WeasyPrint's URL fetcher: our static files and data: URLs; everything else is refused."""
    scheme, _host, path, _query, _fragment = urlsplit(url)
    if scheme == "data":
        from weasyprint import default_url_fetcher

        # urllib decodes data: URLs itself; nothing leaves the process.
        return default_url_fetcher(url)
    static_prefix = urlsplit(settings.STATIC_URL).path
    path = unquote(path)
    # finders.find refuses paths that climb out of the static folders.
    if (
        scheme == "file"
        and path.startswith(static_prefix)
        and (found := finders.find(path.removeprefix(static_prefix)))
    ):
        with open(found, "rb") as file:
            return {"string": file.read(), "mime_type": mimetypes.guess_type(found)[0]}
    # Any other file: URL is refused too: <a rel="attachment"> would embed the file in the PDF.
    raise ValueError(f"PDF rendering only loads static files, not {url}")
