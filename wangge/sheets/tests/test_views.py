"""Pages: upload → preview → commit → result, the progress block htmx polls, export, and the
same refusals as the API (login, 403 page, 404 page for someone else's job)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wangge.registry.models import Resident
from wangge.sheets.models import ImportJob, JobStatus

from .conftest import make_id, read_xlsx, resident_row, xlsx

pytestmark = pytest.mark.django_db


def workbook(*rows):
    return SimpleUploadedFile("甲一.xlsx", xlsx(list(rows)))


def test_anonymous_visitors_go_to_login_and_other_roles_get_403(client_for, users):
    job = ImportJob.objects.create(ledger="residents", actor=users["gridworker_a"], scope_key="510502001001001")
    for url in ("/sheets/", "/sheets/residents/", "/sheets/residents/template.xlsx", f"/sheets/jobs/{job.pk}/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    resident = client_for("resident_a")
    for url in ("/sheets/", "/sheets/residents/", "/sheets/residents/template.xlsx"):
        assert resident.get(url).status_code == 403, url
    assert "台账导入导出" not in resident.get("/locate/").content.decode()
    assert client_for("gridworker_a").get("/sheets/no-such-ledger/").status_code == 404


def test_upload_preview_commit_result(client_for, rooms):
    client = client_for("gridworker_a")
    page = client.get("/sheets/residents/").content.decode()
    assert "/sheets/residents/template.xlsx" in page and 'type="file"' in page and "导出 Excel" in page
    assert 'href="/sheets/"' in page  # the navigation link
    response = client.post("/sheets/residents/", {"file": workbook(resident_row("张三", make_id(order="971")))})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sheets/jobs/{job.pk}/"
    preview = client.get(response["Location"]).content.decode()
    assert "校验通过" in preview and "确认导入" in preview and "hx-trigger" not in preview
    done = client.post(f"/sheets/jobs/{job.pk}/commit/", follow=True).content.decode()
    assert "已导入：新增1条，更新0条" in done and "记入审计日志" in done
    assert Resident.objects.count() == 1


def test_errors_are_listed_with_a_report_link(client_for, rooms):
    client = client_for("gridworker_a")
    client.post("/sheets/residents/", {"file": workbook(resident_row("张三", "12345"), resident_row("", room="102"))})
    job = ImportJob.objects.get()
    page = client.get(f"/sheets/jobs/{job.pk}/").content.decode()
    assert "有错误，未导入" in page and "身份证号应为18位，实际为5位" in page and "不能为空" in page
    assert f"/sheets/jobs/{job.pk}/errors.xlsx" in page and "确认导入" not in page
    report = client.get(f"/sheets/jobs/{job.pk}/errors.xlsx")
    assert read_xlsx(report.content)[1][-1] == "身份证号：身份证号应为18位，实际为5位"
    assert client.post(f"/sheets/jobs/{job.pk}/commit/", follow=True).status_code == 200
    assert not Resident.objects.exists()


def test_malformed_uploads_get_a_message_not_an_error_page(client_for, rooms):
    client = client_for("gridworker_a")
    response = client.post("/sheets/residents/", {"file": SimpleUploadedFile("a.xlsx", b"not a workbook")}, follow=True)
    assert response.status_code == 200 and "不是 Excel 工作簿" in response.content.decode()
    empty = client.post("/sheets/residents/", {})
    assert empty.status_code == 400


def test_running_jobs_poll_their_status_block(client_for, users):
    job = ImportJob.objects.create(
        ledger="residents",
        actor=users["gridworker_a"],
        scope_key="510502001001001",
        status=JobStatus.CHECKING,
        phase="parse",
        progress_done=5000,
        progress_total=20000,
    )
    client = client_for("gridworker_a")
    page = client.get(f"/sheets/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/sheets/jobs/{job.pk}/status/"' in page and 'hx-trigger="every 1s"' in page
    block = client.get(f"/sheets/jobs/{job.pk}/status/").content.decode()
    assert 'value="5000" max="20000"' in block and "读取并逐格校验" in block and "<html" not in block
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.READY, rows=20000, new=20000, progress_done=20000)
    finished = client.get(f"/sheets/jobs/{job.pk}/status/").content.decode()
    assert "hx-trigger" not in finished and "确认导入" in finished
    other = client_for("dispatcher_a")
    for url in (f"/sheets/jobs/{job.pk}/", f"/sheets/jobs/{job.pk}/status/", f"/sheets/jobs/{job.pk}/errors.xlsx"):
        assert other.get(url).status_code == 404, url


def test_export_form(client_for, rooms):
    client = client_for("gridworker_a")
    client.post("/sheets/residents/", {"file": workbook(resident_row("张三", make_id(order="981")))})
    client.post(f"/sheets/jobs/{ImportJob.objects.get().pk}/commit/")
    masked = client.post("/sheets/residents/export/", {"region": ""})
    assert masked.status_code == 200 and read_xlsx(masked.content)[1][1].startswith("510502********")
    refused = client.post("/sheets/residents/export/", {"reveal": "on", "reason": ""})
    assert refused.status_code == 400 and "须填写理由" in refused.content.decode()
    full = client.post("/sheets/residents/export/", {"reveal": "on", "reason": "入户核对"})
    assert read_xlsx(full.content)[1][1] == make_id(order="981")
    assert client.post("/sheets/residents/export/", {"region": "510502002000"}).status_code == 404
    dispatcher = client_for("dispatcher_a").get("/sheets/residents/").content.decode()
    assert "导出完整的身份证号" not in dispatcher and "已脱敏" in dispatcher


def test_every_registered_ledger_has_a_page_a_template_or_only_an_export(client_for, users):
    from wangge.sheets.spec import ledgers

    admin = client_for("admin")
    names = sorted(spec.name for spec in ledgers())
    assert names == ["care", "houses", "residents", "resources", "units", "visits"]
    index = admin.get("/sheets/").content.decode()
    for spec in ledgers():
        assert f"/sheets/{spec.name}/" in index
        page = admin.get(f"/sheets/{spec.name}/")
        assert page.status_code == 200 and "导出 Excel" in page.content.decode()
        template = admin.get(f"/sheets/{spec.name}/template.xlsx")
        assert template.status_code == (200 if spec.importable else 403), spec.name
        assert ("上传并校验" in page.content.decode()) == spec.importable


def test_ledger_names_follow_the_page_language_the_workbook_keeps_its_own(client_for):
    from django.conf import settings

    client = client_for("admin")
    assert "实有人口" in client.get("/sheets/residents/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    index = client.get("/sheets/").content.decode()
    assert "Actual population" in index and "实有人口" not in index and "特殊人群" not in index
    template = client.get("/sheets/residents/template.xlsx")
    assert read_xlsx(template.content, sheet="实有人口")[0][0] == "姓名"  # the file's sheet and headers stay Chinese
