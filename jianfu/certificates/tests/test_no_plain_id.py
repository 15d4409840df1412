"""No plain ID number anywhere (issue 8, requirement 1): a whole certificate workflow runs with
every logger at DEBUG (SQL with its parameters included), then the logs, every audit record,
every error message raised and the printed papers are searched for the full numbers used.
Only the masked form may appear; the deliberate reveal hands the number to its caller alone."""

from __future__ import annotations

import json
import logging
import subprocess

import pytest
from django.db import connection

from jianfu.certificates import services
from jianfu.certificates.documents import refusal_notice_pdf
from jianfu.certificates.models import Certificate, CertificateRequest, RefusalGround, SealUse
from jianfu.certificates.tests.conftest import ID_NUMBER, ID_NUMBER_X, issue, request_make
from jianfu.core.errors import DomainError
from jianfu.core.id_numbers import check_character
from jianfu.core.models import AuditRecord

# Numbers typed in the workflow that are refused, each a near miss of a real one.
WRONG_CHECK = ID_NUMBER[:17] + "0"
FIRST_GENERATION = ID_NUMBER[:6] + ID_NUMBER[8:17]  # the 15-digit form of ID_NUMBER
FEBRUARY_30 = "51100219800230123" + check_character("51100219800230123")


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=bytes(pdf), capture_output=True, check=True
    )
    return done.stdout.decode()


@pytest.fixture
def all_loggers_at_debug(caplog):
    """caplog's handler hears the root logger; loggers that do not propagate get it too. Every
    logger's level and handlers are put back afterwards: a logger left at DEBUG makes later
    tests' pages log (and query) more."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    saved = [(logger, logger.level, list(logger.handlers)) for logger in loggers]
    caplog.set_level(logging.DEBUG)
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
    yield
    for logger, level, handlers in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers


def found_in(text: str, numbers: list[str]) -> list[str]:
    """The numbers that occur in `text`, typed as they are or with spaces between digits."""
    squeezed = "".join(text.split()).upper()
    return [n for n in numbers if n in text.upper() or n in squeezed]


@pytest.mark.django_db
def test_no_plain_id_number_reaches_a_log_an_audit_record_an_error_or_a_paper(
    personas, community, allowed_item, caplog, all_loggers_at_debug
):
    # Every statement and its parameters are logged, as a verbose deployment would.
    connection.force_debug_cursor = True
    errors: list[DomainError] = []
    papers: dict[str, str] = {}

    def attempt(call) -> None:
        with pytest.raises(DomainError) as refused:
            call()
        errors.append(refused.value)

    try:
        officer = personas.community_officer
        # Taken with one number, corrected to another (typed in lower case).
        request = request_make(officer, community, allowed_item)
        attempt(
            lambda: services.certificate_request_update(
                actor=officer, request=request, id_number=WRONG_CHECK
            )
        )
        request = services.certificate_request_update(
            actor=officer, request=request, id_number=ID_NUMBER_X.lower(), purpose="办理继承"
        )
        for bad in (WRONG_CHECK, FIRST_GENERATION, FEBRUARY_30, "9" + ID_NUMBER[1:]):
            attempt(lambda bad=bad: request_make(officer, community, allowed_item, id_number=bad))
        attempt(
            lambda: issue(
                personas, request, statement=f"兹证明王秀英（{ID_NUMBER_X}）系王德明之女。"
            )
        )
        certificate, code = issue(personas, request)
        services.certificate_verify(serial=certificate.serial, code=code)
        attempt(lambda: services.certificate_verify(serial=certificate.serial, code=ID_NUMBER))
        # Refused: a banned type with the number given, and an allowed one on a ground.
        banned = request_make(officer, community, None, type_name="居民身份信息证明")
        taken = request_make(officer, community, allowed_item)
        refused = services.certificate_refuse(
            actor=officer, request=taken, ground=RefusalGround.MATERIALS_MISSING
        )
        services.certificate_revoke(actor=officer, certificate=certificate, reason="误开")
        attempt(
            lambda: services.id_number_reveal(
                actor=personas.street_officer, request=request, reason="核实身份"
            )
        )
        attempt(lambda: services.id_number_reveal(actor=officer, request=request, reason=""))
        revealed = services.id_number_reveal(actor=officer, request=request, reason="登记中心核实")
        papers["certificate"] = pdf_text(Certificate.objects.get(pk=certificate.pk).pdf)
        papers["refusal"] = pdf_text(refusal_notice_pdf(request=refused))
        papers["banned refusal"] = pdf_text(refusal_notice_pdf(request=banned))
    finally:
        connection.force_debug_cursor = False

    # The reveal is the one way out, to its caller.
    assert revealed == ID_NUMBER_X
    numbers = [ID_NUMBER, ID_NUMBER_X, WRONG_CHECK, FIRST_GENERATION, FEBRUARY_30]
    numbers.append("9" + ID_NUMBER[1:])

    # The logs, which did hear the workflow (every INSERT, with its parameters).
    assert "INSERT INTO" in caplog.text and "certificates_certificaterequest" in caplog.text
    assert found_in(caplog.text, numbers) == []
    for record in caplog.records:
        assert found_in(f"{record.getMessage()} {record.args!r}", numbers) == [], record.name

    # Every audit record, every column.
    records = list(AuditRecord.objects.values())
    assert {r["action"] for r in records} >= {
        "certificates.request_create",
        "certificates.request_update",
        "certificates.issue",
        "certificates.refuse",
        "certificates.revoke",
        "certificates.id_number_reveal",
    }
    for row in records:
        assert found_in(json.dumps(row, ensure_ascii=False, default=str), numbers) == [], row
    masked = [r["changes"].get("id_number") for r in records if "id_number" in r["changes"]]
    assert "511002********1239" in str(masked) and "511002********100X" in str(masked)

    # Every error raised, with its details.
    assert len(errors) == 9
    for error in errors:
        text = f"{error} {error.message} {error.details!r} {error.args!r}"
        assert found_in(text, numbers) == [], text

    # The papers: the certificate shows the number masked, the notices not at all.
    assert "511002********100X" in papers["certificate"]
    for name, text in papers.items():
        assert found_in(text, numbers) == [], name

    # And the rows the workflow wrote, outside the sealed column.
    for row in CertificateRequest.objects.values(
        *(f.attname for f in CertificateRequest._meta.concrete_fields if f.name != "id_sealed")
    ):
        assert found_in(json.dumps(row, ensure_ascii=False, default=str), numbers) == []
    for row in SealUse.objects.values():
        assert found_in(json.dumps(row, ensure_ascii=False, default=str), numbers) == []
    for row in Certificate.objects.defer("pdf").values("statement", "serial", "revoked_reason"):
        assert found_in(json.dumps(row, ensure_ascii=False), numbers) == []
