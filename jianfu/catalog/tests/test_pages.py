"""The list pages: browsing, editing a draft, importing with a preview, and the public portal."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from jianfu.catalog import selectors, services
from jianfu.catalog.models import VersionStatus
from jianfu.catalog.tests.test_import import GOOD_ROWS, csv_bytes
from jianfu.core.jobs import KEPT_PAYLOAD_LIFETIME
from jianfu.core.models import BackgroundJob


def test_reader_browses_lists_versions_diff_and_item_history(personas, duty_list, login):
    reviewer = personas.review_officer
    draft = services.version_start(actor=reviewer, catalog_list=duty_list, label="2026版")
    item = draft.items.get(code="SZQ-ZZ-001")
    services.item_edit(actor=reviewer, item=item, values={"department": "民政局"}, reason="明确")
    services.version_publish(
        actor=reviewer,
        version=draft,
        document_number="市中委编〔2026〕1号",
        valid_from=dt.date(2026, 1, 1),
    )
    client = login(personas.community_officer)
    assert "市中区社区依法履行职责事项清单" in client.get("/lists/").content.decode()
    page = client.get(f"/lists/{duty_list.pk}/").content.decode()
    assert "2026版" in page and "市中委编〔2026〕1号" in page and "调解民间纠纷" in page
    old = client.get(f"/lists/{duty_list.pk}/", {"as_of": "2025-06-30"}).content.decode()
    assert "2025-06-30 施行的是 2025版" in old
    diff = client.get(f"/lists/{duty_list.pk}/diff/").content.decode()
    assert "民政局" in diff and "责任部门" in diff
    history = client.get(f"/lists/{duty_list.pk}/items/{item.key}/").content.decode()
    assert "明确" in history and "2025版" in history
    download = client.get(f"/lists/{duty_list.pk}/versions/{draft.pk}/export.csv")
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.content.startswith(b"\xef\xbb\xbf")


def test_reviewer_edits_a_draft_and_publishes_it_in_the_browser(personas, duty_list, login):
    client = login(personas.review_officer)
    response = client.post(f"/lists/{duty_list.pk}/versions/new/", {"label": "2026版"})
    assert response.status_code == 302
    draft = selectors.draft_version(duty_list)
    response = client.post(
        f"/lists/{duty_list.pk}/draft/",
        {"action": "add", "add-name": "开展社区协商", "add-reason": "落实协商要求"},
    )
    assert response.status_code == 302
    assert draft.items.filter(name="开展社区协商").exists()
    item = draft.items.get(code="SZQ-ZZ-002")
    response = client.post(
        f"/lists/{duty_list.pk}/items/{item.key}/change/",
        {"action": "cancel", "cancel-reason": "并入网格"},
    )
    assert not draft.items.filter(pk=item.pk).exists()
    first, second = draft.items.order_by("position")[:2]
    client.post(
        f"/lists/{duty_list.pk}/draft/",
        {
            "action": "merge",
            "merge-target": str(first.key),
            "pick": [str(second.key)],
            "merge-reason": "重复",
        },
    )
    assert not draft.items.filter(pk=second.pk).exists()
    response = client.post(
        f"/lists/{duty_list.pk}/draft/",
        {"action": "publish", "document_number": "", "valid_from": "2026-01-01"},
    )
    assert response.status_code == 200 and "批准文号" in response.content.decode()
    client.post(
        f"/lists/{duty_list.pk}/draft/",
        {"action": "publish", "document_number": "市中委编〔2026〕2号", "valid_from": "2026-01-01"},
    )
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED


def test_import_in_the_browser_previews_then_imports(
    personas, duty_list, login, django_capture_on_commit_callbacks
):
    client = login(personas.review_officer)
    draft = services.version_start(
        actor=personas.review_officer, catalog_list=duty_list, label="2026版"
    )
    upload = SimpleUploadedFile("清单.csv", csv_bytes(GOOD_ROWS))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/lists/{duty_list.pk}/draft/import/", {"file": upload})
    job_url = response["Location"]
    preview = client.get(job_url).content.decode()
    assert "预览（尚未写入）" in preview and "确认导入" in preview
    assert draft.items.count() == 3
    job_id = job_url.rstrip("/").rsplit("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job_id}/confirm/")
    done = client.get(response["Location"]).content.decode()
    assert "导入完成" in done
    assert draft.items.count() == 4


def test_a_previewed_file_nobody_imports_is_dropped_after_a_day(
    personas, duty_list, login, django_capture_on_commit_callbacks
):
    client = login(personas.review_officer)
    draft = services.version_start(
        actor=personas.review_officer, catalog_list=duty_list, label="2026版"
    )
    with django_capture_on_commit_callbacks(execute=True):
        old = (
            client.post(
                f"/lists/{duty_list.pk}/draft/import/",
                {"file": SimpleUploadedFile("旧.csv", csv_bytes(GOOD_ROWS))},
            )["Location"]
            .rstrip("/")
            .rsplit("/", 1)[1]
        )
    BackgroundJob.objects.filter(pk=old).update(
        finished_at=timezone.now() - KEPT_PAYLOAD_LIFETIME - dt.timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/lists/{duty_list.pk}/draft/import/",
            {"file": SimpleUploadedFile("新.csv", csv_bytes(GOOD_ROWS))},
        )
    assert BackgroundJob.objects.get(pk=old).payload == b""
    page = client.post(f"/imports/{old}/confirm/", follow=True).content.decode()
    assert "24 小时" in page
    assert draft.items.count() == 3


def test_unknown_headers_are_mapped_in_the_browser(
    personas, duty_list, login, django_capture_on_commit_callbacks
):
    client = login(personas.review_officer)
    draft = services.version_start(
        actor=personas.review_officer, catalog_list=duty_list, label="2026版"
    )
    upload = SimpleUploadedFile(
        "表.csv", csv_bytes([["网格化服务管理", "区委政法委"]], header=["工作内容", "牵头单位"])
    )
    with django_capture_on_commit_callbacks(execute=True):
        job_url = client.post(f"/lists/{duty_list.pk}/draft/import/", {"file": upload})["Location"]
    page = client.get(job_url).content.decode()
    assert "指定各列的含义" in page
    job_id = job_url.rstrip("/").rsplit("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        job_url = client.post(
            f"/imports/{job_id}/remap/", {"map-0": "name", "map-1": "department"}
        )["Location"]
    assert "新增 1 项" in client.get(job_url).content.decode()
    assert draft.items.count() == 3  # still only a preview


def test_drafts_are_for_editors_of_the_district_only(personas, duty_list, other_reviewer, login):
    services.version_start(actor=personas.review_officer, catalog_list=duty_list, label="2026版")
    assert login(personas.community_officer).get(f"/lists/{duty_list.pk}/draft/").status_code == 403
    assert login(personas.street_officer).get(f"/lists/{duty_list.pk}/draft/").status_code == 403
    outsider = login(other_reviewer)
    for path in ("", "draft/", "diff/", "draft/import/"):
        assert outsider.get(f"/lists/{duty_list.pk}/{path}").status_code == 404
    assert (
        "2026版"
        not in login(personas.community_officer).get(f"/lists/{duty_list.pk}/").content.decode()
    )


def test_public_reads_published_lists_without_login(personas, duty_list):
    draft = services.version_start(
        actor=personas.review_officer, catalog_list=duty_list, label="2026版"
    )
    public = Client()
    assert "市中区社区依法履行职责事项清单" in public.get("/public/lists/").content.decode()
    page = public.get(f"/public/lists/{duty_list.pk}/").content.decode()
    assert "2025版" in page and "2026版" not in page
    assert (
        public.get(f"/public/lists/{duty_list.pk}/versions/{draft.pk}/export.json").status_code
        == 404
    )
    current = selectors.current_version(duty_list)
    assert (
        public.get(f"/public/lists/{duty_list.pk}/versions/{current.pk}/export.json").status_code
        == 200
    )
    assert public.get(f"/lists/{duty_list.pk}/").status_code == 302  # the staff pages need a login


def test_search_and_duplicates_pages(personas, duty_list, login):
    client = login(personas.review_officer)
    assert "调解民间纠纷" in client.get("/lists/search/", {"q": "调解"}).content.decode()
    assert client.get("/lists/duplicates/").status_code == 200
    assert login(personas.community_officer).get("/lists/duplicates/").status_code == 403


def test_public_pages_hide_drafts_even_from_a_signed_in_editor(personas, duty_list, login):
    services.version_start(actor=personas.review_officer, catalog_list=duty_list, label="2026版")
    client = login(personas.review_officer)
    assert "2026版" in client.get(f"/lists/{duty_list.pk}/").content.decode()
    assert "2026版" not in client.get(f"/public/lists/{duty_list.pk}/").content.decode()
