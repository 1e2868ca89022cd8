from django.core.management.base import BaseCommand, CommandError

from cms.accounts import services
from cms.accounts.models import User


class Command(BaseCommand):
    help = (
        "导入人员名单（CSV 或 XLSX；列：姓名、工号或手机号、支部、身份、入党时间、角色）。"
        "默认只检查并打印报告；加 --commit 才写入，且只在整个文件无错误时写入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV 或 XLSX 文件路径")
        parser.add_argument("--commit", action="store_true", help="检查通过后写入数据库")
        parser.add_argument("--by", metavar="USERNAME", help="登记人（用户名），记入身份变更记录")

    def handle(self, *args, file, commit, by, **options):
        recorder = None
        if by:
            recorder = User.objects.filter(username=by).first()
            if recorder is None:
                raise CommandError(f"找不到用户「{by}」。")
        try:
            report = services.import_people(file, dry_run=not commit, by=recorder)
        except FileNotFoundError:
            raise CommandError(f"找不到文件：{file}") from None
        for problem in report.errors:
            self.stdout.write(f"第{problem.line}行\t{problem.reason}")
        if report.errors:
            raise CommandError(report.summary())
        for row in report.rows:
            self.stdout.write(
                f"第{row.line}行\t{row.action}\t{row.name}\t{row.username}\t{row.branch.name}\t{row.status_label}"
            )
        self.stdout.write(self.style.SUCCESS(report.summary()))
        if not commit:
            self.stdout.write("这是试运行，未写入任何数据；确认无误后加 --commit 重新运行。")
