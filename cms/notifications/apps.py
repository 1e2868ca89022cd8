from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cms.notifications"
    verbose_name = "通知与推送"

    def ready(self):
        from cms.accounts.serializers import register_badge

        from .selectors import unread_count

        register_badge("notices", unread_count)  # notices the member has not opened yet
