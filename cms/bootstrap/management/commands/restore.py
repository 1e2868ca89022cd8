from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cms.bootstrap import backup


class Command(BaseCommand):
    help = (
        "Restore an archive written by `backup` into this installation's database, "
        "MEDIA_ROOT and content repository, then rebuild the site from the restored content. "
        "Refuses a database that has tables or an existing content repository unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="overwrite the database, media and content repository that are there"
        )

    def handle(self, *args, archive, force=False, **options):
        try:
            result = backup.restore_backup(archive, force=force)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        before = result.manifest["release"]
        was = f"备份时上线版本 {before['name']}（内容提交 {(before['commit'] or '')[:8]}）；" if before else ""
        self.stdout.write(
            self.style.SUCCESS(f"恢复完成：{was}现已上线版本 {result.release}（内容提交 {result.commit[:8]}）")
        )
