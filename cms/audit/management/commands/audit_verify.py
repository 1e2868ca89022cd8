from django.core.management.base import BaseCommand, CommandError

from cms.audit.selectors import verify_chain


class Command(BaseCommand):
    help = (
        "校验审计日志的哈希链：逐条重算哈希，报告第一条被修改、删除或调换顺序的记录（序号与时间）。"
        "链完整时退出码为 0，否则非 0。请记下输出的链尾哈希，以便日后比对。"
    )

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(report.message(), returncode=2)
        self.stdout.write(report.message())
