import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import square
from wangge.regions.models import Level, Region

pytestmark = pytest.mark.django_db

DIVISIONS = "code,name,level,parent_code\n510502001002,新建社区,5,510502001000\n"
OTHER_STREET = "code,name,level,parent_code\n510502002002,乙二社区,5,510502002000\n"


def upload(client, url, name, content, **extra):
    return client.post(url, {"file": SimpleUploadedFile(name, content.encode()), **extra})


def grids_file(community_code, x0):
    features = [
        {
            "type": "Feature",
            "properties": {"code": f"{community_code}{n:03d}", "community": community_code},
            "geometry": square(x, 28.80),
        }
        for n, x in ((1, x0), (2, x0 + 0.01))
    ]
    return json.dumps({"type": "FeatureCollection", "features": features})


def test_anonymous_and_non_administrators_cannot_import(client_for, tree):
    assert upload(Client(), "/api/v1/imports/divisions", "d.csv", DIVISIONS).status_code == 401
    assert upload(client_for("dispatcher_a"), "/api/v1/imports/divisions", "d.csv", DIVISIONS).status_code == 403
    assert not Region.objects.filter(code="510502001002").exists()


def test_an_administrator_imports_divisions_inside_their_scope(client_for, tree):
    response = upload(client_for("admin_a"), "/api/v1/imports/divisions", "d.csv", DIVISIONS)
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    refused = upload(client_for("admin_a"), "/api/v1/imports/divisions", "d.csv", OTHER_STREET)
    assert refused.status_code == 400
    assert refused.json()["details"][0]["line"] == 2 and "管辖范围" in refused.json()["details"][0]["reasons"][0]
    assert not Region.objects.filter(code="510502002002").exists()


def test_grid_upload_checks_tiling_and_scope(client_for, tree):
    community = Region.objects.create(
        code="510502001003", key="510502001003", name="丙社区", level=Level.COMMUNITY, parent=tree["street_a"]
    )
    client = client_for("admin_a")
    ok = upload(client, "/api/v1/imports/grids", "g.geojson", grids_file(community.code, 105.30))
    assert ok.status_code == 200 and ok.json()["created"] == 2
    out = upload(client, "/api/v1/imports/grids", "g.geojson", grids_file("510502002001", 105.80))
    assert out.status_code == 400 and "510502002001" in json.dumps(out.json(), ensure_ascii=False)
    broken = upload(client, "/api/v1/imports/grids", "g.geojson", "{nope")
    assert broken.status_code == 400 and broken.json()["code"] == "bad_geojson"
    missing = client.post("/api/v1/imports/grids", {})
    assert missing.status_code == 422 and missing.json()["field"] == "file"
