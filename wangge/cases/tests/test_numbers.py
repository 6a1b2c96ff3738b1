"""Case numbers: readable, rising, unique, and never below a number already given that year (on
SQLite from the counter row, on PostgreSQL from the year's sequence; concurrency in
test_concurrency.py)."""

import pytest

from wangge.cases import numbers, services
from wangge.cases.models import Case, CaseNumberCounter, Channel

from .conftest import A1


def test_numbers_are_readable_and_rise(people):
    made = [
        services.case_report(
            actor=people["resident_a"], text="路灯不亮", channel=Channel.RESIDENT, lng=A1[0], lat=A1[1]
        )
        for _ in range(3)
    ]
    year = made[0].reported_at.year
    serials = [int(case.number.rsplit("-", 1)[1]) for case in made]
    assert all(case.number.startswith(f"WG-{year}-") and len(case.number) == 14 for case in made)
    assert serials == list(range(serials[0], serials[0] + 3))


def test_a_year_starts_after_the_numbers_it_already_has(tree):
    # Cases of 2031 loaded from elsewhere, one past a million: the year goes on from the highest.
    for number in ("WG-2031-000041", "WG-2031-1000002", "WG-2031-999999"):
        Case.objects.create(
            number=number,
            text="导入",
            channel=Channel.API,
            region_key="510502001001001",
            reported_at="2031-01-02T08:00:00+08:00",
        )
    assert numbers.highest_serial(2031) == 1000002
    assert numbers.allocate_number(2031) == "WG-2031-1000003"
    assert numbers.allocate_number(2031) == "WG-2031-1000004"
    assert numbers.allocate_number(2032) == "WG-2032-000001"


def test_the_counter_row_is_not_passed_either(tree):
    CaseNumberCounter.objects.create(year=2033, last=77)
    assert numbers.highest_serial(2033) == 77
    assert numbers.allocate_number(2033) == "WG-2033-000078"


@pytest.mark.parametrize(
    "serial, number", [(1, "WG-2026-000001"), (123, "WG-2026-000123"), (1234567, "WG-2026-1234567")]
)
def test_format(serial, number):
    assert numbers.format_number(2026, serial) == number
