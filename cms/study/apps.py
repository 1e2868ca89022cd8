from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "cms.study"
    label = "study"
    verbose_name = "学习园地"
