from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "cms.publishing"
    label = "publishing"
    verbose_name = "网站发布"

    def ready(self):
        from cms.core.panels import use_link_checker

        from . import signals
        from .exporter import link_problems

        signals.connect()
        # The page editors' 链接检查 panel (cms/core/panels.py) shows what the exporter will drop.
        use_link_checker(link_problems)
