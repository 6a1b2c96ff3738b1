import csv
import io

import pytest
from django.core.management import CommandError, call_command

from conftest import SHARED_DATA
from wangge.core.errors import DomainError
from wangge.core.models import AuditEvent
from wangge.regions.divisions import decode_upload, import_divisions
from wangge.regions.models import Level, Region

HEADER = "code,name,level,parent_code,urban_rural_type\n"
GOOD = HEADER + (
    "510500000000,泸州市,2,510000000000,\n"
    "510502000000,江阳区,3,510500000000,\n"
    "510502001000,南城街道,4,510502000000,\n"
    "510502001001,上平社区居民委员会,5,510502001000,\n"
)
CITY_FILES = {"5105.csv": 1622, "5106.csv": 1280, "5111.csv": 1515, "5114.csv": 934}
needs_shared = pytest.mark.skipif(
    not (SHARED_DATA / "divisions").is_dir(), reason="shared/data is not beside the project"
)


def test_a_small_file_builds_the_tree_with_keys_and_the_province(db):
    report = import_divisions(text=GOOD)
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    community = Region.objects.get(code="510502001001")
    assert community.key == "510502001001" and community.level == Level.COMMUNITY
    assert community.parent.code == "510502001000"
    street = Region.objects.get(code="510502001000")
    assert street.key == "510502001"
    province = Region.objects.get(code="510000000000")
    assert province.name == "四川省" and street.parent.parent.parent == province


def test_a_second_import_changes_nothing_and_writes_no_audit(db):
    import_divisions(text=GOOD)
    before = AuditEvent.objects.count()
    stamps = dict(Region.objects.values_list("code", "updated_at"))
    report = import_divisions(text=GOOD)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert AuditEvent.objects.count() == before
    assert dict(Region.objects.values_list("code", "updated_at")) == stamps


def test_a_renamed_community_is_updated_and_audited(db):
    import_divisions(text=GOOD)
    report = import_divisions(text=GOOD.replace("上平社区居民委员会", "上平社区"))
    assert report.updated == 1
    event = AuditEvent.objects.filter(target_id=str(Region.objects.get(code="510502001001").pk)).first()
    assert event.before["name"] == "上平社区居民委员会" and event.after["name"] == "上平社区"


def test_bad_rows_refuse_the_whole_file_and_name_every_line(db):
    text = GOOD + (
        "51050200100,短代码社区,5,510502001000,\n"  # line 6: 11 digits
        "5105020010AB,字母社区,5,510502001000,\n"  # line 7: non-numeric
        "510502009001,孤儿社区,5,510502009000,\n"  # line 8: parent unknown
        "510502001001,重复社区,5,510502001000,\n"  # line 9: duplicate of line 5
        "510502001002,,5,510502001000,\n"  # line 10: no name
        "510502001003,层级错,4,510502001000,\n"  # line 11: level does not match the code
        "510502001005,跳级社区,5,510502000000,\n"  # line 12: parent is the district, not the street
    )
    with pytest.raises(DomainError) as caught:
        import_divisions(text=text)
    lines = {d["line"]: " ".join(d["reasons"]) for d in caught.value.details}
    assert sorted(lines) == [6, 7, 8, 9, 10, 11, 12]
    assert "12位" in lines[6]
    assert "数字" in lines[7]
    assert "510502009000" in lines[8] and "不存在" in lines[8]
    assert "第5行" in lines[9]
    assert "名称" in lines[10]
    assert "第5级" in lines[11]
    assert "应为 510502001000" in lines[12]
    assert Region.objects.count() == 0 and AuditEvent.objects.count() == 0


def test_a_row_cannot_move_an_existing_node_to_another_parent(db):
    import_divisions(text=GOOD)
    with pytest.raises(DomainError) as caught:
        import_divisions(text=HEADER + "510502001001,上平社区,5,510502000000,\n")
    assert "应为 510502001000" in caught.value.details[0]["reasons"][0]
    assert Region.objects.get(code="510502001001").parent.code == "510502001000"


@pytest.mark.parametrize(
    "row, fragment",
    [
        ("51050200100²,怪字社区,5,510502001000", "code"),
        ("510502001002,社区,²,510502001000", "level"),
        ("510502001002,社区," + "9" * 5000 + ",510502001000", "level"),
        ("510502001002," + "长" * 101 + ",5,510502001000", "name"),
        ("510502001002,社\x00区,5,510502001000", "name"),
        ("510000000000,四川省,1,990000000000", "parent_code"),
    ],
)
def test_odd_cells_are_refused_with_the_column_named(db, row, fragment):
    with pytest.raises(DomainError) as caught:
        import_divisions(text=GOOD + row + "\n")
    assert caught.value.details[-1]["line"] == 6
    assert any(reason.startswith(fragment) for reason in caught.value.details[-1]["reasons"])


def test_unreadable_csv_is_refused_not_crashed(db):
    with pytest.raises(DomainError, match="无法读取"):
        import_divisions(text=HEADER + '510502001002,"' + "x" * 200_000 + '",5,510502001000\n')


def test_towns_directly_under_a_city_without_counties(db):
    text = HEADER + "441900000000,东莞市,2,440000000000,\n441900003000,东城街道,4,441900000000,\n"
    assert import_divisions(text=text).created == 2
    assert Region.objects.get(code="441900003000").parent.code == "441900000000"


def test_missing_columns_and_empty_files_are_explained(db):
    with pytest.raises(DomainError, match="parent_code"):
        import_divisions(text="code,name,level\n510500000000,泸州市,2\n")
    with pytest.raises(DomainError, match="没有数据行"):
        import_divisions(text=HEADER)


def test_files_saved_by_excel_in_gb18030_are_read():
    assert decode_upload(GOOD.encode("gb18030")) == GOOD
    assert decode_upload(("\ufeff" + GOOD).encode("utf-8")) == GOOD
    with pytest.raises(DomainError, match="编码"):
        decode_upload(b"\xff\xfe\x00\xd8")


def test_the_command_prints_every_bad_line(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(GOOD + "51050200100,短代码社区,5,510502001000,\n", encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_divisions", str(path))
    assert "第6行" in str(caught.value) and "12位" in str(caught.value)
    assert not Region.objects.exists()


def test_the_command_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_divisions", str(tmp_path / "nope.csv"))


@needs_shared
@pytest.mark.slow
def test_all_four_real_city_files_import_and_reimport_unchanged(db):
    total = 0
    for name, rows in CITY_FILES.items():
        text = decode_upload((SHARED_DATA / "divisions" / name).read_bytes())
        assert len(list(csv.DictReader(io.StringIO(text)))) == rows
        report = import_divisions(text=text, source=name)
        assert report.created == rows and not report.errors
        total += rows
    assert Region.objects.count() == total + 1  # plus the province, created once
    for name, rows in CITY_FILES.items():
        report = import_divisions(text=decode_upload((SHARED_DATA / "divisions" / name).read_bytes()))
        assert (report.created, report.updated, report.unchanged) == (0, 0, rows)
    # Every node's key prefixes everything below it.
    for child_key, parent_key in Region.objects.filter(parent__isnull=False).values_list("key", "parent__key")[:5000]:
        assert child_key.startswith(parent_key)


@needs_shared
def test_a_real_file_with_one_row_broken_is_refused_whole(db):
    text = decode_upload((SHARED_DATA / "divisions" / "5114.csv").read_bytes())
    lines = text.splitlines()
    lines[10] = lines[10].replace(",", "X,", 1)
    with pytest.raises(DomainError) as caught:
        import_divisions(text="\n".join(lines) + "\n")
    assert [d["line"] for d in caught.value.details][0] == 11
    assert not Region.objects.exists()
