from django.core.management.base import BaseCommand

from cms.openness.demo.content import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load demo organisation, users and pages (idempotent: existing data is kept)."

    def handle(self, *args, **options):
        logins = load_demo()
        self.stdout.write(self.style.SUCCESS("演示内容已就绪。演示账号（密码均为 %s）：" % DEMO_PASSWORD))
        for login in logins:
            self.stdout.write(f"  {login.username:<10} {login.role}（{login.full_name}）")
