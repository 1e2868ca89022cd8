from django.core.management.base import BaseCommand

from cms.feedback import services


class Command(BaseCommand):
    help = f"删除超过 {services.UNSUBMITTED_FILE_DAYS} 天仍未随答卷提交的问卷附件（每天运行一次）。"

    def handle(self, *args, **options):
        removed = services.prune_unsubmitted_files()
        self.stdout.write(f"已删除 {removed} 个未提交的问卷附件。")
