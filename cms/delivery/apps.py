from django.apps import AppConfig


class DeliveryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cms.delivery"
    verbose_name = "消息推送"

    def ready(self):
        from . import events, signals  # noqa: F401  (the built-in events; publishing's release signal)
