"""PDF documents: Chinese typeset in embedded CJK fonts, nothing fetched from the network."""

import socket
import subprocess

import pytest
from PIL import Image

from jianfu.core import pdf
from jianfu.core.checks import cjk_font_check
from jianfu.core.pdf import PdfFontsMissing, render_pdf

AGREEMENT = """{% extends "pdf/base.html" %}{% load static %}
{% block title %}协助管理协议书 测试{% endblock %}
{% block content %}
<p>甲方：{{ street }}　乙方：{{ community }}</p>
<img src="{% static 'seal.png' %}" alt="">
<img src="http://example.com/x.png" alt="">
<a rel="attachment" href="file:///etc/hostname">附件</a>
<table><tr><th>事项</th><th>经费（元）</th></tr><tr><td>协助开展人口普查</td><td>1,200</td></tr></table>
{% endblock %}
"""


@pytest.fixture
def agreement_template(settings, tmp_path):
    """pdf/agreement.html in a temporary template folder, with seal.png as a static file."""
    (tmp_path / "templates" / "pdf").mkdir(parents=True)
    (tmp_path / "templates" / "pdf" / "agreement.html").write_text(AGREEMENT)
    (tmp_path / "static").mkdir()
    Image.new("RGB", (40, 40), "red").save(tmp_path / "static" / "seal.png")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates", *settings.TEMPLATES[0]["DIRS"]]}
    ]
    settings.STATICFILES_DIRS = [tmp_path / "static"]
    return "pdf/agreement.html"


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to resolve a host name or open a connection, recorded and refused."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access during a test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def run(command: list[str], document: bytes) -> str:
    return subprocess.run(command, input=document, capture_output=True, check=True).stdout.decode()


def test_chinese_text_is_typeset_in_embedded_cjk_fonts(agreement_template):
    document = render_pdf(
        template=agreement_template, context={"street": "城东街道", "community": "钟鼓楼社区"}
    )

    assert document.startswith(b"%PDF")
    text = run(["pdftotext", "-layout", "-", "-"], document)
    assert "协助管理协议书 测试" in text
    assert "甲方：城东街道" in text and "协助开展人口普查" in text
    # pdftotext drops the narrow spaces around the page numbers.
    assert "第1页共1页" in "".join(text.split())
    fonts = run(["pdffonts", "-"], document).splitlines()[2:]
    assert fonts and all("CJK" in line for line in fonts)
    # Every font is embedded ("emb" column), so the reader's machine needs no Chinese fonts.
    assert all(line.split()[-5] == "yes" for line in fonts)


def test_pdf_loads_static_files_but_nothing_from_the_network_or_elsewhere_on_disk(
    agreement_template, no_network
):
    document = render_pdf(template=agreement_template, context={})

    assert no_network == []
    # The seal from our static files is the one image; the remote image is left out.
    images = run(["pdfimages", "-list", "-"], document).splitlines()[2:]
    assert len(images) == 1
    # <a rel="attachment"> would have embedded a file from outside the static folders.
    assert b"/EmbeddedFile" not in document


def test_without_a_cjk_font_pdfs_are_refused_and_the_check_warns(monkeypatch):
    monkeypatch.setattr(pdf, "cjk_font_available", lambda: False)

    with pytest.raises(PdfFontsMissing, match="fonts-noto-cjk"):
        render_pdf(template="pdf/base.html", context={})
    [warning] = cjk_font_check(None)
    assert warning.id == "jianfu.W001" and "fonts-noto-cjk" in warning.hint


def test_this_machine_has_a_cjk_font_and_the_check_is_quiet():
    assert pdf.cjk_font_available()
    assert cjk_font_check(None) == []
