from django.core.management.base import BaseCommand

from cms.audit import services


class Command(BaseCommand):
    help = (
        "删除超过保留期（AUDIT_RETENTION_DAYS，至少 180 天）的审计日志，"
        "并追加一条清理记录，保证剩余的哈希链仍可校验。workers 每天自动运行一次。"
    )

    def handle(self, *args, **options):
        result = services.prune()
        if result.removed:
            self.stdout.write(
                f"已删除 {result.removed} 条超过 {services.retention_days()} 天的审计日志"
                f"（至序号 {result.through_seq}），清理记录序号 {result.checkpoint.seq}。"
            )
        else:
            self.stdout.write(f"没有超过 {services.retention_days()} 天的审计日志。")
