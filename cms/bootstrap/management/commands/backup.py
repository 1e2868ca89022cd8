from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cms.bootstrap import backup


class Command(BaseCommand):
    help = (
        "Write one tar.gz archive: database dump (pg_dump custom format / SQLite online "
        "backup), media, the content repository and release metadata, with a manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o", type=Path, help="archive path (default: VAR_DIR/backups/dangjian-<UTC time>.tar.gz)"
        )

    def handle(self, *args, output=None, **options):
        archive = (output or backup.default_archive_path()).resolve()
        try:
            manifest = backup.create_backup(archive)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        release = manifest["release"]
        live = f"上线版本 {release['name']}（内容提交 {(release['commit'] or '')[:8]}）" if release else "尚无上线版本"
        self.stdout.write(self.style.SUCCESS(f"备份完成：{archive}（{len(manifest['files'])} 个文件，{live}）"))
