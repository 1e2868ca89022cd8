from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cms.accounts"
    label = "accounts"
    verbose_name = "用户与组织"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
