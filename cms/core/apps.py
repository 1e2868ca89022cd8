from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cms.core"
    label = "core"
    verbose_name = "站点基础"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .security import session_started

        user_logged_in.connect(session_started, dispatch_uid="core.session_started")
