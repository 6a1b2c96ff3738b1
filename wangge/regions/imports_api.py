"""Uploading division codes and grid polygons over the API (administrators, inside their scope).
The same services as the management commands; a refusal lists every problem."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from wangge.accounts.roles import IMPORT_GEOGRAPHY, require
from wangge.core.errors import DomainError

from .divisions import decode_upload, import_divisions
from .grids import import_grids, load_geojson

router = Router(tags=["imports"])
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ImportResultOut(Schema):
    created: int
    updated: int
    unchanged: int


def _read(request: HttpRequest, upload: UploadedFile) -> bytes:
    require(request.user, IMPORT_GEOGRAPHY)  # before reading a possibly large upload
    if upload.size > MAX_UPLOAD_BYTES:
        raise DomainError(
            _("文件过大（%(size)d MB），上限 %(limit)d MB")
            % {"size": upload.size // 1024 // 1024, "limit": MAX_UPLOAD_BYTES // 1024 // 1024},
            field="file",
            code="too_large",
        )
    return upload.read()


@router.post("/imports/divisions", response=ImportResultOut, summary="导入区划代码 CSV（全部正确才写入）")
def upload_divisions(request: HttpRequest, file: File[UploadedFile]):
    report = import_divisions(text=decode_upload(_read(request, file)), actor=request.user, source=file.name)
    return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}


@router.post("/imports/grids", response=ImportResultOut, summary="导入网格边界 GeoJSON（全部正确才写入）")
def upload_grids(request: HttpRequest, file: File[UploadedFile], crs: Form[str] = "wgs84"):
    report = import_grids(document=load_geojson(_read(request, file)), actor=request.user, crs=crs, source=file.name)
    return {"created": len(report.created), "updated": len(report.updated), "unchanged": len(report.unchanged)}
