from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cms.consultations"
    verbose_name = "咨询与建议"

    def ready(self):
        from . import signals  # noqa: F401  (the derived 组织委员 group)
