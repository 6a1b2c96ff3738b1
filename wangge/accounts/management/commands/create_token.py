from django.core.management.base import BaseCommand, CommandError

from wangge.accounts.models import User
from wangge.accounts.services import token_create
from wangge.core.commands import command_context


class Command(BaseCommand):
    help = "为用户签发接口令牌（只显示这一次）。Issue an API token for a user; it is shown once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="令牌用途，例如“12345热线对接”")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在或已停用")
        with command_context("create_token"):
            _, raw = token_create(actor=None, user=user, name=name)
        self.stdout.write(self.style.SUCCESS(f"已为 {username} 签发令牌（请立即保存，之后无法再次查看）："))
        self.stdout.write(raw)
