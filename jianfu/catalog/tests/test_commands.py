"""The command line: import-list (existing or --new), export-list and dump-lists."""

import json

import pytest
from django.core.management import CommandError, call_command

from jianfu.catalog import services
from jianfu.catalog.models import CatalogList
from jianfu.catalog.tests.test_import import GOOD_ROWS, csv_bytes


def test_import_list_new_then_export_and_dump(personas, tmp_path, capsys):
    source = tmp_path / "清单.csv"
    source.write_bytes(csv_bytes(GOOD_ROWS))
    call_command(
        "import_list",
        str(source),
        "--new",
        "--kind",
        "assist",
        "--region",
        "511002000000",
        "--name",
        "市中区协助事项",
        "--code",
        "SZ-XZ",
    )
    created = CatalogList.objects.get(code="SZ-XZ")
    draft = created.versions.get()
    assert draft.items.count() == 4
    services.version_publish(actor=None, version=draft, document_number="市中委编〔2026〕1号")
    target = tmp_path / "out.json"
    call_command("export_list", "SZ-XZ", "--format", "json", "-o", str(target))
    assert len(json.loads(target.read_text(encoding="utf-8"))["items"]) == 4
    call_command("dump_lists", str(tmp_path / "dump"))
    index = json.loads((tmp_path / "dump" / "index.json").read_text(encoding="utf-8"))
    assert any(entry["list"] == "SZ-XZ" for entry in index)
    assert (tmp_path / "dump" / index[0]["files"][1]).read_bytes().startswith(b"\xef\xbb\xbf")


def test_import_list_reports_bad_rows_and_exits_non_zero(personas, duty_list, tmp_path, capsys):
    services.version_start(actor=None, catalog_list=duty_list, label="2026版")
    source = tmp_path / "bad.csv"
    source.write_bytes(csv_bytes([["1", "", "", "", "", "", "", "", ""]]))
    with pytest.raises(CommandError):
        call_command("import_list", str(source), "--list", duty_list.code)
    assert "第 2 行" in capsys.readouterr().err
    assert duty_list.versions.get(label="2026版").items.count() == 3


def test_import_list_dry_run_writes_nothing(personas, duty_list, tmp_path, capsys):
    services.version_start(actor=None, catalog_list=duty_list, label="2026版")
    source = tmp_path / "good.csv"
    source.write_bytes(csv_bytes(GOOD_ROWS))
    call_command("import_list", str(source), "--list", str(duty_list.pk), "--dry-run")
    assert "预览" in capsys.readouterr().out
    assert duty_list.versions.get(label="2026版").items.count() == 3
