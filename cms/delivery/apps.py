from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cms.delivery"
    verbose_name = "消息推送"

    def ready(self):
        # The built-in events (网站发布, 通知公告, 咨询答复) and the listener of publishing's
        # releases.
        from . import answers, events, notices, signals  # noqa: F401
