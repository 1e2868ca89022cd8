from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from cms.accounts.selectors import is_administrator

from . import views_admin


@hooks.register("register_admin_urls")
def register_audit_urls():
    return [
        path("audit/", views_admin.AuditLogView.as_view(), name="audit_log"),
        path("audit/export/", views_admin.AuditExportView.as_view(), name="audit_log_export"),
    ]


class AuditMenuItem(MenuItem):
    def is_shown(self, request):
        return is_administrator(request.user)


@hooks.register("register_admin_menu_item")
def register_audit_menu_item():
    return AuditMenuItem("审计日志", reverse("audit_log"), name="audit-log", icon_name="history", order=304)
