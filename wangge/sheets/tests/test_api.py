"""The import and export API: anonymous → 401, wrong role → 403, someone else's job or an
out-of-scope region → 404 like a missing one, and the whole flow in scope."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from wangge.core.models import AuditEvent
from wangge.registry.models import Resident
from wangge.sheets.models import ImportJob

from .conftest import XLSX_TYPE, make_id, read_xlsx, resident_row, xlsx

pytestmark = pytest.mark.django_db
URL = "/api/v1/imports/residents"


def good_file(name="甲一.xlsx"):
    rows = [resident_row("张三", make_id(order="951")), resident_row("李四", make_id(order="962"), room="102")]
    return SimpleUploadedFile(name, xlsx(rows), content_type=XLSX_TYPE)


def bad_file():
    return SimpleUploadedFile("bad.xlsx", xlsx([resident_row("张三", "510502199001019")]), content_type=XLSX_TYPE)


def test_anonymous_and_roles_without_the_capability(client_for, rooms):
    anonymous = Client()
    assert anonymous.post(f"{URL}?dry_run=1", {"file": good_file()}).status_code == 401
    assert anonymous.get(f"{URL}/template").status_code == 401
    assert anonymous.get("/api/v1/imports/jobs/1").status_code == 401
    assert anonymous.post("/api/v1/exports/residents").status_code == 401
    for name in ("resident_a", "handler"):
        client = client_for(name)
        assert client.post(f"{URL}?dry_run=1", {"file": good_file()}).status_code == 403
        assert client.get(f"{URL}/template").status_code == 403
        assert client.post("/api/v1/exports/residents").status_code == 403
    assert client_for("admin").post("/api/v1/imports/no-such-ledger", {"file": good_file()}).status_code == 404
    assert not ImportJob.objects.exists()


def test_dry_run_then_commit(client_for, rooms):
    client = client_for("gridworker_a")
    preview = client.post(f"{URL}?dry_run=1", {"file": good_file()})
    assert preview.status_code == 200
    body = preview.json()
    assert body["status"] == "ready" and (body["rows"], body["new"], body["errors"]) == (2, 2, 0)
    assert body["first_errors"] == [] and body["error_report_url"] is None and not Resident.objects.exists()
    status = client.get(f"/api/v1/imports/jobs/{body['id']}")
    assert status.status_code == 200 and status.json()["status_label"] == "校验通过，待确认导入"
    committed = client.post(f"/api/v1/imports/jobs/{body['id']}/commit")
    assert committed.status_code == 200 and committed.json()["status"] == "committed"
    assert Resident.objects.count() == 2
    again = client.post(f"/api/v1/imports/jobs/{body['id']}/commit")
    assert again.status_code == 409 and again.json()["code"] == "not_ready"
    event = AuditEvent.objects.get(verb="sheets.import")
    assert event.request_id == committed["X-Request-ID"]


def test_commit_in_one_call_and_its_refusals(client_for, rooms):
    client = client_for("gridworker_a")
    refused = client.post(f"{URL}?dry_run=0", {"file": bad_file()})
    assert refused.status_code == 400
    body = refused.json()
    assert body["status"] == "invalid" and body["errors"] == 1
    assert body["first_errors"] == [{"row": 2, "column": "身份证号", "message": "身份证号应为18位，实际为15位"}]
    report = client.get(body["error_report_url"])
    assert report.status_code == 200 and report["Content-Type"].startswith(XLSX_TYPE)
    assert read_xlsx(report.content)[1][-1] == "身份证号：身份证号应为18位，实际为15位"
    malformed = client.post(f"{URL}?dry_run=0", {"file": SimpleUploadedFile("a.csv", b"a,b\n1,2\n")})
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "not_xlsx" and malformed.json()["field"] == "file"
    missing = client.post(URL, {})
    assert missing.status_code == 422 and missing.json()["field"] == "file"
    assert not Resident.objects.exists()
    done = client.post(f"{URL}?dry_run=0", {"file": good_file()})
    assert done.status_code == 200 and done.json()["status"] == "committed" and Resident.objects.count() == 2


def test_someone_elses_job_is_404_like_a_missing_one(client_for, rooms):
    job_id = client_for("gridworker_a").post(f"{URL}?dry_run=1", {"file": bad_file()}).json()["id"]
    other = client_for("dispatcher_a")  # same street, but not the uploader
    for url in (f"/api/v1/imports/jobs/{job_id}", f"/api/v1/imports/jobs/{job_id}/errors"):
        assert other.get(url).status_code == 404
        assert other.get(url.replace(str(job_id), "999999")).status_code == 404
    assert other.post(f"/api/v1/imports/jobs/{job_id}/commit").status_code == 404


def test_my_jobs_with_a_query_budget(client_for, rooms, django_assert_max_num_queries):
    client = client_for("gridworker_a")
    for _ in range(3):
        client.post(f"{URL}?dry_run=1", {"file": good_file()})
    with django_assert_max_num_queries(6):
        listed = client.get(f"{URL}/jobs")
    assert listed.status_code == 200 and listed.json()["count"] == 3
    assert client_for("dispatcher_a").get(f"{URL}/jobs").json()["count"] == 0


def test_template_and_export(client_for, rooms):
    client = client_for("gridworker_a")
    template = client.get(f"{URL}/template")
    assert template.status_code == 200 and "attachment" in template["Content-Disposition"]
    assert read_xlsx(template.content)[0][:2] == ["姓名", "身份证号"]
    client.post(f"{URL}?dry_run=0", {"file": good_file()})
    masked = client.post("/api/v1/exports/residents", {})
    assert masked.status_code == 200 and read_xlsx(masked.content)[1][1].startswith("510502********")
    no_reason = client.post("/api/v1/exports/residents", {"reveal": "true"})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    full = client.post("/api/v1/exports/residents", {"reveal": "true", "reason": "上级核查"})
    assert full.status_code == 200 and read_xlsx(full.content)[1][1] == make_id(order="951")
    assert (
        client_for("dispatcher_a").post("/api/v1/exports/residents", {"reveal": "true", "reason": "x"}).status_code
        == 403
    )
    assert client.post("/api/v1/exports/residents", {"region": "510502002000"}).status_code == 404
    assert AuditEvent.objects.filter(verb="sheets.export").count() == 2


def test_division_imports_still_reach_their_own_endpoint(client_for, tree):
    csv = "code,name,level,parent_code\n510502001002,新建社区,5,510502001000\n"
    response = client_for("admin_a").post(
        "/api/v1/imports/divisions", {"file": SimpleUploadedFile("d.csv", csv.encode())}
    )
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
