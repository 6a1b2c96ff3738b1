"""Yearly unit scores: lines from the ledger, the bar under 60 (through the units app's service),
honours over 100, and changes explained line by line."""

import datetime
from decimal import Decimal

import pytest

from wangge.core.errors import DomainError
from wangge.core.models import AuditEvent
from wangge.party.contracts import ActivityType
from wangge.points import scores
from wangge.points.models import UnitScore
from wangge.units import services as unit_services
from wangge.units.tests.conftest import credit

from .conftest import A_GRID, B_GRID, serve

pytestmark = pytest.mark.django_db
YEAR = 2026


@pytest.fixture
def units(tree):
    return {
        "school": unit_services.unit_create(
            actor=None,
            name="第一小学",
            credit_code=credit(1),
            kind="school",
            grid_code=A_GRID,
            has_party_organisation=True,
            party_organisation_name="第一小学党支部",
        ),  # fmt: skip
        "shop": unit_services.unit_create(
            actor=None, name="便民超市", credit_code=credit(2), kind="enterprise", grid_code=A_GRID
        ),
        "b": unit_services.unit_create(
            actor=None, name="乙单位", credit_code=credit(3), kind="enterprise", grid_code=B_GRID
        ),
    }


def active(unit, n: int, *, activity_type=ActivityType.VOLUNTEER, hours="3"):
    for i in range(n):
        serve(
            f"u{unit.pk}:{activity_type}:{i}", unit_id=unit.pk, activity_type=activity_type, hours=hours,
            occurred_on=datetime.date(YEAR, 6, 1),
        )  # fmt: skip


def test_a_busy_unit_is_honoured_and_every_line_is_explained(people, units):
    school = units["school"]
    active(school, 8)  # participation 8 × 5 = 40 (the cap); hours 24 × 1 = 24
    active(school, 3, activity_type=ActivityType.NEED_CLAIM, hours="2")  # claims 30; hours +6 → 30 (cap)
    active(school, 1, activity_type=ActivityType.RESOURCE_SHARE, hours="0")  # 10
    score = scores.unit_score_compute(actor=people["community_a"], unit=school, year=YEAR)
    assert score.total == Decimal("120.0") and score.honoured
    assert {line["measure"]: line["points"] for line in score.lines} == {
        "participation": "40.0",
        "claims": "30.0",
        "service_hours": "30.0",
        "resource_shares": "10.0",
        "party_organisation": "10.0",
    }
    assert all(line["explanation"] for line in score.lines)
    assert list(scores.honours(user=people["community_a"], year=YEAR)) == [score]
    school.refresh_from_db()
    assert not school.booking_barred


def test_under_60_the_unit_is_barred_through_the_units_service_and_lifted_when_it_recovers(people, units):
    shop = units["shop"]
    active(shop, 2)  # 10 + 6 hours = 16
    score = scores.unit_score_compute(actor=people["community_a"], unit=shop, year=YEAR)
    assert score.total == Decimal("16.0") and score.barred
    shop.refresh_from_db()
    assert shop.booking_barred and "低于60分" in shop.booking_barred_reason
    assert AuditEvent.objects.filter(verb="unit.booking_bar", target_id=str(shop.pk)).count() == 1
    # A hand adjustment with its reason lifts the score; the change is explained line by line.
    score = scores.score_adjust(actor=people["community_a"], unit=shop, year=YEAR, points=50, reason="疫情期间捐赠物资")
    assert score.version == 2 and score.total == Decimal("66.0")
    assert [change["after"] for change in score.changes] == ["50.0"]
    assert "疫情期间捐赠物资" in score.changes[0]["why"]
    shop.refresh_from_db()
    assert not shop.booking_barred
    # Nothing new: no new version.
    assert scores.unit_score_compute(actor=people["community_a"], unit=shop, year=YEAR).version == 2


def test_a_bar_set_by_hand_is_not_lifted_by_a_good_score(people, units):
    school = units["school"]
    unit_services.unit_set_booking_barred(unit=school, barred=True, reason="拖欠场地费", actor=None)
    active(school, 8)
    active(school, 3, activity_type=ActivityType.NEED_CLAIM)
    scores.unit_score_compute(actor=people["community_a"], unit=school, year=YEAR)
    school.refresh_from_db()
    assert school.booking_barred and school.booking_barred_reason == "拖欠场地费"


def test_a_new_activity_shows_as_a_changed_line(people, units):
    shop = units["shop"]
    active(shop, 1)
    scores.unit_score_compute(actor=people["community_a"], unit=shop, year=YEAR)
    serve("late", unit_id=shop.pk, hours="1", occurred_on=datetime.date(YEAR, 7, 1))
    score = scores.unit_score_compute(actor=people["community_a"], unit=shop, year=YEAR)
    assert {c["label"]: (c["before"], c["after"]) for c in score.changes} == {
        "参加活动次数": ("5.0", "10.0"),
        "服务时长（小时）": ("3.0", "4.0"),
    }


def test_scores_are_kept_in_scope_and_by_role(people, units):
    with pytest.raises(DomainError) as error:
        scores.unit_score_compute(actor=people["community_b"], unit=units["shop"], year=YEAR)
    assert error.value.status == 404
    with pytest.raises(DomainError) as error:
        scores.unit_score_compute(actor=people["gridworker_a"], unit=units["shop"], year=YEAR)
    assert error.value.status == 403
    scores.unit_score_compute(actor=None, unit=units["b"], year=YEAR)
    assert list(scores.latest_scores(user=people["community_a"], year=YEAR)) == []
    assert [s.unit.name for s in scores.latest_scores(user=people["community_b"], year=YEAR)] == ["乙单位"]
    for bad in ("abc", 1999, YEAR + 5):
        with pytest.raises(DomainError) as error:
            scores.unit_score_compute(actor=people["community_a"], unit=units["shop"], year=bad)
        assert error.value.field == "year"
    with pytest.raises(DomainError) as error:
        scores.score_adjust(actor=people["community_a"], unit=units["shop"], year=YEAR, points="x", reason="理由")
    assert error.value.field == "points"
    assert UnitScore.objects.count() == 1


def test_thresholds_are_under_60_and_over_100(people, units):
    shop = units["shop"]
    staff = people["community_a"]
    score = scores.score_adjust(actor=staff, unit=shop, year=YEAR, points="59.9", reason="试算")
    assert score.barred and not score.honoured
    score = scores.score_adjust(actor=staff, unit=shop, year=YEAR, points="0.1", reason="补足")
    assert score.total == Decimal("60.0") and not score.barred
    shop.refresh_from_db()
    assert not shop.booking_barred
    score = scores.score_adjust(actor=staff, unit=shop, year=YEAR, points="40", reason="表彰前")
    assert score.total == Decimal("100.0") and not score.honoured
    assert list(scores.honours(user=staff, year=YEAR)) == []
    score = scores.score_adjust(actor=staff, unit=shop, year=YEAR, points="0.1", reason="超过")
    assert score.honoured and list(scores.honours(user=staff, year=YEAR)) == [score]


def test_the_yearly_command_scores_every_unit_once_and_bars_the_idle(units):
    from io import StringIO

    from django.core.management import CommandError, call_command

    active(units["school"], 8)  # 40 for taking part, 24 for 24 hours, 10 for the party organisation
    out = StringIO()
    call_command("unit_scores", "--year", str(YEAR), stdout=out)
    assert "3 个单位，低于60分 2 个" in out.getvalue()
    totals = {s.unit.name: s.total for s in UnitScore.objects.select_related("unit")}
    assert totals == {"第一小学": Decimal(74), "便民超市": Decimal(0), "乙单位": Decimal(0)}
    units["shop"].refresh_from_db()
    units["school"].refresh_from_db()
    assert units["shop"].booking_barred and not units["school"].booking_barred
    call_command("unit_scores", "--year", str(YEAR), stdout=StringIO())  # nothing changed: no new versions
    assert UnitScore.objects.count() == 3
    for bad in ("1800", "0"):
        with pytest.raises(CommandError, match="年度应在 2000 年到今年之间"):
            call_command("unit_scores", "--year", bad, stdout=StringIO())
