from django.contrib.auth.models import Permission
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import selectors, views_admin


@hooks.register("register_admin_urls")
def register_feedback_urls():
    return [
        path("feedback/results/", views_admin.ResultsOverviewView.as_view(), name="feedback_results"),
        path("feedback/results/<int:form_id>/", views_admin.FormResultsView.as_view(), name="feedback_form_results"),
        path(
            "feedback/results/<int:form_id>/export/",
            views_admin.FormResultsExportView.as_view(),
            name="feedback_form_results_export",
        ),
        path("feedback/files/<uuid:token>/", views_admin.answer_file, name="feedback_answer_file"),
    ]


class ResultsMenuItem(MenuItem):
    def is_shown(self, request):
        # By permission only (cached on the user): the menu is drawn on every admin page, and
        # the views themselves refuse a reader without a scope.
        return selectors.may_read_results(request.user)


@hooks.register("register_admin_menu_item")
def register_results_menu_item():
    return ResultsMenuItem(
        "问卷结果", reverse("feedback_results"), name="feedback-results", icon_name="form", order=304
    )


@hooks.register("register_permissions")
def register_results_permission():
    # Lets 管理员 grant 问卷结果 to another group in 设置 › 用户组.
    return Permission.objects.filter(content_type__app_label="feedback", codename="view_form_results")


@hooks.register("construct_main_menu")
def hide_wagtail_form_submissions(request, menu_items):
    # Wagtail's 表单 menu lists its own FormSubmission rows, which these forms never write
    # (answers are Response rows, read under the anonymity and scope rules of selectors).
    menu_items[:] = [item for item in menu_items if item.name != "forms"]
