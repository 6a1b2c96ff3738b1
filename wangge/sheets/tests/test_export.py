"""Export: the user's scope only, masked by default; unmasked only with REVEAL_PII and a reason,
which goes into the audit log. An unmasked export goes back in unchanged."""

import pytest

from wangge.core.errors import DomainError, Forbidden, NotFound
from wangge.core.models import AuditEvent
from wangge.sheets import services

from .conftest import A_GRID, B_GRID, HEADERS, make_id, read_xlsx, resident_row, xlsx

pytestmark = pytest.mark.django_db
A_PERSON, B_PERSON = make_id(order="931"), make_id("19770707", "942")


@pytest.fixture
def people(users, rooms):
    for actor, row in (
        ("gridworker_a", resident_row("张三", A_PERSON, moved="2015-06-01")),
        ("staff_b", resident_row("赵六", B_PERSON, grid=B_GRID, phone="13912345678")),
    ):
        job = services.import_upload(
            actor=users[actor], ledger="residents", file_name="p.xlsx", data=xlsx([row]), commit=True
        )
        assert job.status == "committed", job.first_errors


def exported(users, actor="gridworker_a", **kwargs):
    name, data = services.export_ledger(actor=users[actor], ledger="residents", **kwargs)
    return name, read_xlsx(data), read_xlsx(data, sheet=1)


def test_masked_by_default_and_only_the_scope(users, people):
    name, rows, info = exported(users)
    assert name.startswith("实有人口-甲一社区1网格-") and name.endswith(".xlsx") and "完整" not in name
    assert rows[0] == HEADERS
    assert len(rows) == 2 and rows[1][:2] == ["张三", "510502********" + A_PERSON[-4:]]
    assert rows[1][4] == "170****5678" and rows[1][7:] == [A_GRID, "001001花园", "1栋", 1, "101", None, None]
    assert str(rows[1][6])[:10] == "2015-06-01"
    assert ["身份证号和手机号", "已脱敏"] in info
    event = AuditEvent.objects.get(verb="sheets.export")
    assert event.after == {"ledger": "residents", "rows": 1, "revealed": False} and event.scope_key == A_GRID
    _, street_b, _ = exported(users, "dispatcher_b")
    assert [r[0] for r in street_b[1:]] == ["赵六"]


def test_a_region_inside_the_scope_narrows_it_and_outside_is_404(users, people):
    _, rows, _ = exported(users, "admin", region_code="510502002000")
    assert [r[0] for r in rows[1:]] == ["赵六"]
    _, everything, _ = exported(users, "admin")
    assert sorted(r[0] for r in everything[1:]) == ["张三", "赵六"]
    for code in ("510502002000", "510502009999"):
        with pytest.raises(NotFound):
            exported(users, "gridworker_a", region_code=code)


def test_unmasked_export_needs_the_capability_and_a_reason(users, people):
    with pytest.raises(Forbidden):
        exported(users, "dispatcher_a", reveal=True, reason="核对")
    with pytest.raises(DomainError) as caught:
        exported(users, "gridworker_a", reveal=True, reason=" ")
    assert caught.value.field == "reason" and caught.value.code == "reason_required"
    assert not AuditEvent.objects.filter(verb="sheets.export").exists()
    name, rows, info = exported(users, "gridworker_a", reveal=True, reason="疫苗接种入户核对")
    assert name.endswith("-完整.xlsx") and rows[1][1] == A_PERSON and rows[1][4] == "17012345678"
    assert ["身份证号和手机号", "完整（理由：疫苗接种入户核对）"] in info
    event = AuditEvent.objects.get(verb="sheets.export")
    assert event.note == "疫苗接种入户核对" and event.after["revealed"] is True
    assert event.actor == users["gridworker_a"]


def test_an_unmasked_export_goes_back_in_unchanged_and_a_masked_one_is_explained(users, people):
    _, rows, _ = exported(users, "gridworker_a", reveal=True, reason="年度核对")
    job = services.import_upload(
        actor=users["gridworker_a"], ledger="residents", file_name="e.xlsx", data=xlsx(rows[1:], headers=rows[0])
    )
    assert (job.status, job.unchanged, job.new, job.updated) == ("ready", 1, 0, 0), job.first_errors
    _, masked, _ = exported(users)
    job = services.import_upload(
        actor=users["gridworker_a"], ledger="residents", file_name="m.xlsx", data=xlsx(masked[1:], headers=masked[0])
    )
    assert job.status == "invalid" and "已打码" in job.first_errors[0]["message"]


def test_exports_are_bounded_and_refused_to_other_roles(users, people, settings):
    settings.WANGGE_EXPORT_MAX_ROWS = 1
    with pytest.raises(DomainError) as caught:
        exported(users, "admin")
    assert caught.value.code == "too_many_rows"
    for name in ("resident_a", "handler"):
        with pytest.raises(Forbidden):
            exported(users, name)
