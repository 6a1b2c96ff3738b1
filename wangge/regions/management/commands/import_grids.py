from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wangge.core.commands import command_context
from wangge.core.geo import COORDINATE_SYSTEMS
from wangge.regions.grids import import_grids, load_geojson


class Command(BaseCommand):
    help = (
        "导入网格边界 GeoJSON：每个要素的 properties 含 code（15位网格代码）、community（12位社区代码）和 name。"
        "网格超出社区、相互重叠或留有超过容差的空隙时整体拒绝。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--crs",
            default="wgs84",
            choices=COORDINATE_SYSTEMS,
            help="文件坐标系（默认 wgs84；高德/腾讯等地图导出的为 gcj02）",
        )

    def handle(self, *args, file: Path, crs: str, **options):
        if not file.is_file():
            raise CommandError(f"文件不存在：{file}")
        with command_context("import_grids"):
            report = import_grids(document=load_geojson(file.read_bytes()), crs=crs, source=file.name)
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {file.name}：新增 {len(report.created)}，更新 {len(report.updated)}，"
                f"未变 {len(report.unchanged)}"
            )
        )
