from django.core.management.base import BaseCommand

from cms.bootstrap.roles import setup_roles


class Command(BaseCommand):
    help = "Create or repair the editorial groups (编辑, 审核, 管理员, branch editors) and the 审核发布 workflow."

    def handle(self, *args, **options):
        groups = setup_roles()
        self.stdout.write(self.style.SUCCESS("角色已就绪：" + "、".join(groups)))
