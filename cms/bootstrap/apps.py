from django.apps import AppConfig


class BootstrapConfig(AppConfig):
    """Sets up a whole installation: the editorial roles across the apps (``setup_roles``) and
    the demo site (``load_demo``, the help-guide screenshots). It depends on the feature apps;
    no feature app imports it. No models."""

    name = "cms.bootstrap"
    label = "bootstrap"
    verbose_name = "初始设置"
