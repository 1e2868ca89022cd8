from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import selectors, views_admin


@hooks.register("register_admin_urls")
def register_delivery_urls():
    return [
        path("delivery/channels/", views_admin.ChannelListView.as_view(), name="delivery_channels"),
        path("delivery/channels/add/", views_admin.ChannelEditView.as_view(), name="delivery_channel_add"),
        path("delivery/channels/<int:pk>/", views_admin.ChannelEditView.as_view(), name="delivery_channel_edit"),
        path("delivery/channels/<int:pk>/test/", views_admin.ChannelTestView.as_view(), name="delivery_channel_test"),
        path(
            "delivery/channels/<int:pk>/delete/",
            views_admin.ChannelDeleteView.as_view(),
            name="delivery_channel_delete",
        ),
        path("delivery/log/", views_admin.DeliveryLogView.as_view(), name="delivery_log"),
    ]


class DeliveryMenuItem(MenuItem):
    def is_shown(self, request):
        return not selectors.access_of(request.user).none


@hooks.register("register_settings_menu_item")
def register_channels_menu_item():
    return DeliveryMenuItem(
        "推送渠道", reverse("delivery_channels"), name="delivery-channels", icon_name="mail", order=900
    )


@hooks.register("register_reports_menu_item")
def register_log_menu_item():
    return DeliveryMenuItem("推送记录", reverse("delivery_log"), name="delivery-log", icon_name="mail", order=900)
