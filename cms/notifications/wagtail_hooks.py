from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import selectors, views_admin


@hooks.register("register_admin_urls")
def register_notice_urls():
    return [
        path("notices/", views_admin.NoticeListView.as_view(), name="notices_admin"),
        path("notices/new/", views_admin.NoticeFormView.as_view(), name="notices_admin_create"),
        path("notices/<int:pk>/edit/", views_admin.NoticeFormView.as_view(), name="notices_admin_edit"),
        path("notices/<int:pk>/delete/", views_admin.NoticeDeleteView.as_view(), name="notices_admin_delete"),
        path("notices/<int:pk>/send/", views_admin.NoticeSendView.as_view(), name="notices_admin_send"),
        path("notices/<int:pk>/", views_admin.NoticeStatusView.as_view(), name="notices_admin_status"),
        path("notices/<int:pk>/remind/", views_admin.NoticeRemindView.as_view(), name="notices_admin_remind"),
        path("notices/<int:pk>/export/", views_admin.NoticeExportView.as_view(), name="notices_admin_export"),
    ]


class NoticeMenuItem(MenuItem):
    def is_shown(self, request):
        return not selectors.notice_scope(request.user).is_empty


@hooks.register("register_admin_menu_item")
def register_notice_menu_item():
    return NoticeMenuItem("通知公告", reverse("notices_admin"), name="notices", icon_name="mail", order=304)
