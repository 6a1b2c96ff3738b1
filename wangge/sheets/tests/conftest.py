"""Helpers for the Excel tests: workbooks built in memory, valid fake ID numbers (order code 9xx,
as the demo uses), and a few more households in grid A."""

import io

import openpyxl
import pytest

from conftest import make_user
from wangge.accounts.roles import Role
from wangge.core.validators import id_check_char
from wangge.regions.models import Building, Household

A_GRID, B_GRID = "510502001001001", "510502002001001"
HEADERS = [
    "姓名", "身份证号", "性别", "出生日期", "手机号", "人口类别", "入住日期",
    "网格编码", "小区", "楼栋", "单元", "房号", "户籍地", "备注",
]  # fmt: skip


def make_id(birth: str = "19900101", order: str = "901", district: str = "510502") -> str:
    first17 = f"{district}{birth}{order}"
    return first17 + id_check_char(first17)


def registered(name: str, number: str, birth, gender: str, *, household=None, region_key: str = A_GRID):
    """A person already in the ledger (as registered by hand), stored as the services store them."""
    from wangge.core import pii
    from wangge.registry.models import Resident

    return Resident.objects.create(
        name=name,
        id_cipher=pii.encrypt(number),
        id_index=pii.blind_index(number),
        id_masked=pii.mask_id_number(number),
        gender=gender,
        birth_date=birth,
        region_key=region_key,
        household=household,
    )


def resident_row(
    name="张三",
    number=None,
    *,
    gender="",
    birth="",
    phone="17012345678",
    kind="户籍人口",
    moved="",
    grid=A_GRID,
    compound="001001花园",
    building="1栋",
    unit=1,
    room="101",
    origin="",
    note="",
):
    number = make_id() if number is None else number
    return [name, number, gender, birth, phone, kind, moved, grid, compound, building, unit, room, origin, note]


def xlsx(rows, headers=HEADERS, *, title="实有人口", build=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    if headers is not None:
        sheet.append(headers)
    for row in rows:
        sheet.append(row)
    if build:
        build(book, sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_xlsx(data: bytes, sheet=0) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
    return [list(row) for row in ws.iter_rows(values_only=True)]


@pytest.fixture
def users(users, tree):
    """The shared users, plus community staff of community B: street dispatchers may export the
    resident ledger but not write it, so B's imports need a ledger keeper."""
    users["staff_b"] = make_user("staff_b", Role.COMMUNITY_STAFF, tree["community_b"])
    return users


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def rooms(tree):
    """Grid A's building gets rooms 102, 201 and 202 beside 101."""
    building = Building.objects.get(compound=tree["compounds"][A_GRID])
    for room in ("102", "201", "202"):
        Household.objects.create(building=building, region_key=A_GRID, unit=1, room=room)
    return building


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
