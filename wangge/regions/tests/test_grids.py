import json

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.test import override_settings

from conftest import square
from wangge.core.errors import DomainError
from wangge.core.geo import wgs84_to_gcj02
from wangge.core.models import AuditEvent
from wangge.regions.grids import import_grids, load_geojson
from wangge.regions.locator import get_index
from wangge.regions.models import Level, Region


def feature(code, community, geometry, name=None):
    props = {"code": code, "community": community}
    if name:
        props["name"] = name
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


@pytest.fixture
def empty_community(tree):
    """A community with an official outline (0.02° square) and no grids yet."""
    street = tree["street_a"]
    return Region.objects.create(
        code="510502001009",
        key="510502001009",
        name="新社区",
        level=Level.COMMUNITY,
        parent=street,
        geometry=json.loads(json.dumps(square(105.60, 28.90, 0.02))),
    )


def four_grids(community, x0=105.60, y0=28.90):
    cells = [(x0, y0 + 0.01), (x0 + 0.01, y0 + 0.01), (x0, y0), (x0 + 0.01, y0)]
    return [
        feature(f"{community.code}{n:03d}", community.code, square(x, y), f"第{n}网格")
        for n, (x, y) in enumerate(cells, start=1)
    ]


def problems_of(error):
    return {tuple(d["grids"]): d["reason"] for d in error.details}


def test_grids_that_tile_their_community_are_imported_and_located(empty_community):
    report = import_grids(document=collection(*four_grids(empty_community)))
    assert len(report.created) == 4
    grid = Region.objects.get(code="510502001009004")
    assert grid.parent == empty_community and grid.name == "第4网格"
    assert 900_000 < grid.area_m2 < 1_200_000  # 0.01° × 0.01° at 28.9°N ≈ 1.08 km²
    assert get_index().locate(105.615, 28.905).code == "510502001009004"
    assert AuditEvent.objects.filter(verb="grid.import").count() == 4


def test_reimporting_the_same_file_changes_nothing(empty_community):
    document = collection(*four_grids(empty_community))
    import_grids(document=document)
    events = AuditEvent.objects.count()
    report = import_grids(document=document)
    assert len(report.unchanged) == 4 and not report.created and not report.updated
    assert AuditEvent.objects.count() == events


def test_a_grid_outside_its_community_is_named(empty_community):
    features = four_grids(empty_community)
    features[3]["geometry"] = square(105.615, 28.895)  # pokes out to the south-east
    with pytest.raises(DomainError) as caught:
        import_grids(document=collection(*features))
    found = problems_of(caught.value)
    assert any(codes == ("510502001009004",) and "之外" in reason for codes, reason in found.items())
    assert not Region.objects.filter(code__startswith="510502001009", level=Level.GRID).exists()


def test_overlapping_grids_are_named_in_pairs(empty_community):
    features = four_grids(empty_community)
    features[1]["geometry"] = shapely.geometry.mapping(shapely.box(105.605, 28.91, 105.62, 28.92))
    with pytest.raises(DomainError) as caught:
        import_grids(document=collection(*features))
    assert any(
        codes == ("510502001009001", "510502001009002") and "重叠" in reason
        for codes, reason in problems_of(caught.value).items()
    )


def test_a_gap_larger_than_the_tolerance_is_refused(empty_community):
    features = four_grids(empty_community)[:3]  # the south-east quarter is left uncovered
    with pytest.raises(DomainError) as caught:
        import_grids(document=collection(*features))
    reasons = " ".join(problems_of(caught.value).values())
    assert "未被网格覆盖" in reasons and "新社区" in reasons


def test_a_gap_within_the_tolerance_is_accepted(empty_community):
    features = four_grids(empty_community)
    # Shave a 0.00001° sliver (~1 m × 1.1 km ≈ 1,000 m²) off the last grid's east edge.
    features[3]["geometry"] = shapely.geometry.mapping(shapely.box(105.61, 28.90, 105.61999, 28.91))
    with override_settings(WANGGE_GRID_GAP_TOLERANCE_M2=2000):
        assert len(import_grids(document=collection(*features)).created) == 4
    with override_settings(WANGGE_GRID_GAP_TOLERANCE_M2=500):
        features[3]["properties"]["name"] = "改名"  # a change, so the file is checked again
        with pytest.raises(DomainError, match="问题"):
            import_grids(document=collection(*features))


def test_without_an_outline_holes_between_grids_are_gaps(tree):
    community = Region.objects.create(
        code="510502001010", key="510502001010", name="无边界社区", level=Level.COMMUNITY, parent=tree["street_a"]
    )
    ring = [
        feature(f"{community.code}{n:03d}", community.code, square(x, y))
        for n, (x, y) in enumerate(
            [
                (105.7, 28.92),
                (105.71, 28.92),
                (105.72, 28.92),
                (105.7, 28.91),
                (105.72, 28.91),
                (105.7, 28.90),
                (105.71, 28.90),
                (105.72, 28.90),
            ],
            1,
        )
    ]
    with pytest.raises(DomainError) as caught:
        import_grids(document=collection(*ring))  # the middle cell is missing: a hole
    assert "未被网格覆盖" in " ".join(problems_of(caught.value).values())
    ring.append(feature(f"{community.code}009", community.code, square(105.71, 28.91)))
    assert len(import_grids(document=collection(*ring)).created) == 9


def test_feature_level_problems_are_all_reported(tree):
    community = tree["community_a"].code
    document = collection(
        feature("51050200100100", community, square(105.40, 28.90)),  # 14 digits
        feature("510502002001005", community, square(105.40, 28.90)),  # wrong community prefix
        feature("510502001099001", "510502001099", square(105.40, 28.90)),  # community unknown
        {
            "type": "Feature",
            "properties": {"code": "510502001001006", "community": community},
            "geometry": {"type": "Point", "coordinates": [105.4, 28.9]},
        },
        {
            "type": "Feature",
            "properties": {"code": "510502001001007", "community": community},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[105.40, 28.90], [105.41, 28.91], [105.41, 28.90], [105.40, 28.91], [105.40, 28.90]]],
            },
        },
    )
    with pytest.raises(DomainError) as caught:
        import_grids(document=document)
    text = json.dumps(caught.value.details, ensure_ascii=False)
    for fragment in ("15位", "510502002001005", "510502001099", "Polygon", "无效"):
        assert fragment in text


def test_gcj02_files_are_converted_before_checking(empty_community):
    features = four_grids(empty_community)
    for item in features:
        item["geometry"] = shapely.geometry.mapping(
            shapely.transform(
                shapely.geometry.shape(item["geometry"]), lambda xy: [wgs84_to_gcj02(x, y) for x, y in xy]
            )
        )
    import_grids(document=collection(*features), crs="gcj02")
    grid = shapely.geometry.shape(Region.objects.get(code="510502001009001").geometry)
    assert abs(grid.bounds[0] - 105.60) < 1e-6 and abs(grid.bounds[3] - 28.92) < 1e-6


def test_not_geojson_is_refused_with_a_reason():
    with pytest.raises(DomainError, match="GeoJSON"):
        load_geojson(b"not json")
    with pytest.raises(DomainError, match="FeatureCollection"):
        load_geojson(b'{"type": "Feature"}')
    with pytest.raises(DomainError, match="没有要素"):
        load_geojson(b'{"type": "FeatureCollection", "features": []}')


def test_the_command_names_the_offending_grids(empty_community, tmp_path):
    features = four_grids(empty_community)
    features[3]["geometry"] = square(105.615, 28.895)
    path = tmp_path / "grids.geojson"
    path.write_text(json.dumps(collection(*features)), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_grids", str(path))
    assert "510502001009004" in str(caught.value)
    features[3]["geometry"] = square(105.61, 28.90)
    path.write_text(json.dumps(collection(*features)), encoding="utf-8")
    call_command("import_grids", str(path))
    assert Region.objects.filter(parent=empty_community).count() == 4


def test_malformed_features_are_named_not_crashed(tree):
    community = tree["community_a"].code
    document = collection(
        1,
        {"type": "Feature", "properties": "code=1", "geometry": None},
        feature(f"{community}005", community, {"type": "Polygon", "coordinates": "nonsense"}),
        feature(f"{community}006", community, square(1e300, 28.9)),
        feature(f"{community}007", community, square(28.9, 105.4)),  # latitude and longitude swapped
        feature(f"{community}008", community, square(105.4, 28.9), name="长" * 101),
    )
    with pytest.raises(DomainError) as caught:
        import_grids(document=document)
    found = problems_of(caught.value)
    assert "Feature" in found[("第1个要素",)] and "Feature" in found[("第2个要素",)]
    assert "无法读取" in found[(f"{community}005",)]
    assert "中国范围" in found[(f"{community}006",)] and "中国范围" in found[(f"{community}007",)]
    assert "100" in found[(f"{community}008",)]


def test_deeply_nested_or_oddly_encoded_files(tree):
    with pytest.raises(DomainError, match="GeoJSON"):
        load_geojson(b"[" * 100_000 + b"]" * 100_000)
    text = json.dumps(
        collection(feature("510502001001001", "510502001001", square(105.4, 28.91), "甲")), ensure_ascii=False
    )
    assert load_geojson(("\ufeff" + text).encode("utf-8"))["features"][0]["properties"]["name"] == "甲"
    assert load_geojson(text.encode("gb18030"))["features"][0]["properties"]["name"] == "甲"


def test_a_grid_overlapping_a_neighbouring_communitys_grid_is_refused(tree):
    """Community B1 has no stored outline here, so only the cross-community check can catch it."""
    Region.objects.filter(code="510502002001").update(geometry=None)
    community = Region.objects.create(
        code="510502002009", key="510502002009", name="邻社区", level=Level.COMMUNITY, parent=tree["street_b"]
    )
    # Overlaps grid 510502002001001 (105.50–105.51, 28.91–28.92) by half.
    document = collection(feature(f"{community.code}001", community.code, square(105.505, 28.91)))
    with pytest.raises(DomainError) as caught:
        import_grids(document=document)
    assert ("510502002001001", "510502002009001") in {tuple(sorted(k)) for k in problems_of(caught.value)}
