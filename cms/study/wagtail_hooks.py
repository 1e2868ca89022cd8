from django.contrib.auth.models import Permission
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import selectors, views_admin


@hooks.register("register_admin_urls")
def register_progress_urls():
    return [
        path("study/progress/", views_admin.ProgressOverviewView.as_view(), name="study_progress"),
        path("study/progress/<int:course_id>/", views_admin.CourseProgressView.as_view(), name="study_course_progress"),
        path(
            "study/progress/<int:course_id>/export/",
            views_admin.CourseProgressExportView.as_view(),
            name="study_course_progress_export",
        ),
    ]


class ProgressMenuItem(MenuItem):
    def is_shown(self, request):
        return selectors.can_view_progress(request.user)


@hooks.register("register_admin_menu_item")
def register_progress_menu_item():
    return ProgressMenuItem("学习进度", reverse("study_progress"), name="study-progress", icon_name="tasks", order=303)


@hooks.register("register_permissions")
def register_progress_permission():
    # Lets 管理员 grant the report to another group in 设置 › 用户组.
    return Permission.objects.filter(content_type__app_label="study", codename="view_branch_progress")
