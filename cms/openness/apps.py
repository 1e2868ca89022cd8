from django.apps import AppConfig


class OpennessConfig(AppConfig):
    name = "cms.openness"
    label = "openness"
    verbose_name = "新闻与党务公开"
