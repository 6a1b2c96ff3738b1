import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from wangge.accounts.roles import Role
from wangge.accounts.services import user_create
from wangge.core.commands import command_context


class Command(BaseCommand):
    help = (
        "创建用户（例如第一个管理员）。密码从环境变量 WANGGE_NEW_PASSWORD 读取，未设置时交互输入。"
        "Create a user, e.g. the first administrator."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--region", help="管辖区域代码（部门承办人以外的角色必填）")
        parser.add_argument("--department", help="所属部门代码（部门承办人必填）")
        parser.add_argument("--name", default="", help="姓名")

    def handle(self, *args, username, role, region, department, name, **options):
        password = os.environ.get("WANGGE_NEW_PASSWORD")
        if not password:
            if not self.stdin_is_interactive():
                raise CommandError("请设置环境变量 WANGGE_NEW_PASSWORD，或在终端中交互运行以输入密码")
            password = getpass.getpass("密码: ")
            if password != getpass.getpass("再输入一次: "):
                raise CommandError("两次输入的密码不一致")
        with command_context("create_user"):
            user = user_create(
                actor=None,
                username=username,
                password=password,
                role=role,
                display_name=name,
                region_code=region,
                department_code=department,
            )
        self.stdout.write(self.style.SUCCESS(f"已创建用户 {user.username}（{user.get_role_display()}）"))

    @staticmethod
    def stdin_is_interactive() -> bool:
        import sys

        return sys.stdin.isatty()
