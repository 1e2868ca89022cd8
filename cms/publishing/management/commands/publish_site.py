from django.core.management.base import BaseCommand, CommandError

from cms.publishing import services, tasks
from cms.publishing.models import ContentChange, SiteBuild


class Command(BaseCommand):
    help = "Export every live public page to content/, commit, and build a new site release."

    def handle(self, *args, **options):
        tasks.record_change(ContentChange.Action.REBUILD)
        build = services.publish_pending_changes(force_build=True, progress=True)
        if build.status != SiteBuild.Status.SUCCEEDED:
            raise CommandError(f"网站构建失败，公开网站保持上一个版本：\n{build.error}")
        services.keep_warm_state(settled=0)  # the worker starts from this build's catalogue
        self.stdout.write(self.style.SUCCESS(f"网站已发布：版本 {build.release}（内容提交 {build.commit[:8]}）"))
