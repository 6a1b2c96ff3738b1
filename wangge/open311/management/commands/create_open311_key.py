from django.core.management.base import BaseCommand

from wangge.core.commands import command_context
from wangge.open311 import keys


class Command(BaseCommand):
    help = "为一个 Open311 客户端生成 api_key（只显示一次），限定在给定区域内使用。"

    def add_arguments(self, parser):
        parser.add_argument("client", help="客户端名称，如「市民随手拍小程序」")
        parser.add_argument("region_code", help="区域代码（12位统计用区划代码或网格代码），如 510500000000")

    def handle(self, *args, client: str, region_code: str, **options):
        with command_context("create_open311_key"):
            key, raw = keys.key_create(actor=None, client=client, region_code=region_code)
        self.stdout.write(self.style.SUCCESS(f"已为「{key.client}」生成 Open311 api_key（区域 {key.region_key}）："))
        self.stdout.write(raw)
        self.stdout.write("请妥善保存：密钥只显示这一次，平台只保存它的哈希。")
