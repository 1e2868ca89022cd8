from django.conf import settings
from django.core.management.base import BaseCommand

from cms.bootstrap.demo.content import DEMO_MEMBERS, DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load demo organisation, users and pages (idempotent: existing data is kept)."

    def handle(self, *args, **options):
        logins = load_demo()
        self.stdout.write(self.style.SUCCESS(f"演示内容已就绪。演示账号（密码均为 {DEMO_PASSWORD}）："))
        if settings.INITIAL_PASSWORD_CHANGE_REQUIRED:
            # Production settings: the printed password is public, so it only gets one in.
            self.stdout.write("  新建的演示账号首次登录时须修改密码。")
        for login in logins:
            self.stdout.write(f"  {login.username:<10} {login.role}（{login.full_name}）")
        self.stdout.write("  党员（登录网站“党员学习”：学习、问卷、咨询）：")
        for username, full_name, branch, status, _role in DEMO_MEMBERS:
            self.stdout.write(f"  {username:<10} {branch} {status.label}（{full_name}）")
