from django.core.management.base import BaseCommand

from wangge.core.commands import command_context
from wangge.sheets.services import purge_old_files


class Command(BaseCommand):
    help = "Delete stored uploads and error reports of import jobs older than WANGGE_IMPORT_KEEP_HOURS (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=None, help="override WANGGE_IMPORT_KEEP_HOURS")

    def handle(self, *args, hours=None, **options):
        with command_context("purge_imports"):
            count = purge_old_files(older_than_hours=hours)
        self.stdout.write(f"purged the files of {count} import job(s)")
