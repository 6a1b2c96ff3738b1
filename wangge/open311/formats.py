"""GeoReport v2 output: the same data as JSON or XML, datetimes in UTC with `Z`, ids as strings,
and errors as `[{"code": …, "description": …}]` / `<errors><error>…`."""

import json
from datetime import UTC, datetime
from xml.etree import ElementTree

from django.http import HttpResponse

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _xml_value(parent, name: str, value):
    node = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(node, key, inner)
    elif isinstance(value, list):
        singular = {
            "formats": "format", "keywords": "keyword", "attributes": "attribute", "values": "value",
            "endpoints": "endpoint",
        }  # fmt: skip
        for inner in value:
            _xml_value(node, singular.get(name, "item"), inner)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)
    return node


def to_xml(root: str, item: str | None, data) -> bytes:
    top = ElementTree.Element(root)
    if item is None:
        for key, value in data.items():
            _xml_value(top, key, value)
    else:
        for row in data:
            _xml_value(top, item, row)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(top, encoding="utf-8")


def render(fmt: str, data, *, root: str, item: str | None, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(to_xml(root, item, data), content_type=FORMATS["xml"], status=status)
    body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body.encode(), content_type=FORMATS["json"], status=status)


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return render(fmt, [{"code": status, "description": description}], root="errors", item="error", status=status)
