from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.timezone import localtime

from cms.publishing import history, rollback
from cms.publishing.models import SiteBuild


class Command(BaseCommand):
    help = (
        "回滚公开网站：给出已保留的版本名则直接切换到该版本（不重新构建）；"
        "给出内容提交号（或至少 4 位的唯一前缀）则把内容回滚到该提交并重新构建。"
        "CMS 中的页面不变，下一次发布会按 CMS 内容重新同步全站。"
    )

    def add_arguments(self, parser):
        parser.add_argument("target", nargs="?", help="版本名（见 --list）或内容提交号")
        parser.add_argument("--user", help="记为操作人（内容回滚提交的作者）的用户名；默认为发布系统")
        parser.add_argument("--list", action="store_true", dest="show_list", help="列出已保留的版本和最近的内容提交")

    def handle(self, *args, target=None, user=None, show_list=False, **options):
        if show_list or not target:
            self._list()
            if not target:
                return
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"用户 {user} 不存在。")
        target = target.strip()
        try:
            if rollback.is_release_name(target):
                record = rollback.switch_release(target, user=actor)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"公开网站已切换到版本 {record.release}（内容提交 {record.commit[:8] or '—'}）。"
                    )
                )
                return
            sha = rollback.resolve_commit(target)
            if sha is None:
                raise CommandError(
                    f"“{target}”既不是已保留的网站版本，也不是内容仓库中的提交（提交号至少 4 位十六进制，且前缀须唯一）。"
                    "可用 --list 查看已保留的版本和最近的提交。"
                )
            record = rollback.rollback_content(target, user=actor, progress=options["verbosity"] > 1)
        except rollback.RollbackError as error:
            raise CommandError(str(error)) from error
        if record.status != SiteBuild.Status.SUCCEEDED:
            raise CommandError(
                f"内容已回滚并提交（{record.commit[:8]}），但网站构建失败，公开网站保持原来的版本：\n{record.error}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"内容已回滚到 {sha[:8]}，新提交 {record.commit[:8]}，"
                f"网站版本 {record.release}。CMS 中的页面未改变，下一次发布会按 CMS 内容重新同步。"
            )
        )

    def _list(self):
        rows = history.releases_overview()
        self.stdout.write("已保留的网站版本（* 为当前线上版本）：")
        for row in rows:
            mark = "*" if row.is_current else " "
            when = f"{localtime(row.when):%Y-%m-%d %H:%M:%S}" if row.when else "—"
            self.stdout.write(
                f"{mark} {row.release.name}  {when}  提交 {row.short_commit or '—'}  {row.release.page_count} 页"
            )
        if not rows:
            self.stdout.write("  （暂无）")
        self.stdout.write("最近的内容提交：")
        for entry in history.CommitLog(history.content_repo())[0:20]:
            self.stdout.write(
                f"  {entry['short']}  {localtime(entry['when']):%Y-%m-%d %H:%M}  {entry['author_name']}  {entry['subject']}"
            )
