from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cms.consultations"
    verbose_name = "咨询与建议"

    def ready(self):
        from cms.accounts.serializers import register_badge

        from . import signals  # noqa: F401  (the derived 组织委员 group)
        from .selectors import unseen_answers

        register_badge("consultations", unseen_answers)  # answers the asker has not seen
