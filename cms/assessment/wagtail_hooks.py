from django.contrib.auth.models import Permission
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import KnowledgePoint, Question


class QuestionViewSet(SnippetViewSet):
    model = Question
    icon = "help"
    menu_label = "题库"
    list_display = ["__str__", "difficulty", "live", "updated_at"]
    list_filter = ["type", "difficulty", "live", "knowledge_points"]
    search_fields = ["stem"]


class KnowledgePointViewSet(SnippetViewSet):
    model = KnowledgePoint
    icon = "list-ul"
    menu_label = "知识点"
    list_display = ["__str__", "sort_order"]
    search_fields = ["name"]


# Under 片段 (Snippets) like the organisation tree: the menu is drawn on every admin page and
# a group of its own would cost permission queries there.
register_snippet(QuestionViewSet)
register_snippet(KnowledgePointViewSet)


@hooks.register("register_admin_urls")
def register_assessment_urls():
    from . import views_admin

    return [
        path("assessment/import/", views_admin.QuestionImportView.as_view(), name="assessment_question_import"),
        path("assessment/export/", views_admin.QuestionExportView.as_view(), name="assessment_question_export"),
        path("assessment/reports/", views_admin.ReportOverviewView.as_view(), name="assessment_reports"),
        path("assessment/reports/<int:quiz_id>/", views_admin.QuizReportView.as_view(), name="assessment_quiz_report"),
        path(
            "assessment/reports/<int:quiz_id>/export/",
            views_admin.QuizReportExportView.as_view(),
            name="assessment_quiz_report_export",
        ),
    ]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("assessment.add_question")


class ReportMenuItem(MenuItem):
    def is_shown(self, request):
        # By permission only (cached on the user; 管理员 hold it through cms/assessment/roles.py):
        # the menu is drawn on every admin page, and the views refuse a viewer without a scope.
        return request.user.has_perm("assessment.view_branch_assessment")


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem(
        "题库导入导出", reverse("assessment_question_import"), name="assessment-import", icon_name="upload", order=305
    )


@hooks.register("register_admin_menu_item")
def register_report_menu_item():
    return ReportMenuItem(
        "测评统计", reverse("assessment_reports"), name="assessment-reports", icon_name="help", order=306
    )


@hooks.register("register_permissions")
def register_report_permission():
    # Lets 管理员 grant the report to another group in 设置 › 用户组.
    return Permission.objects.filter(content_type__app_label="assessment", codename="view_branch_assessment")
