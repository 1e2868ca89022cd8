from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "cms.media"
    label = "private_media"
    verbose_name = "图片与文件"

    def ready(self):
        from wagtail.signals import page_published

        from .signals import index_references_now

        page_published.connect(index_references_now, dispatch_uid="private_media.index_references_now")
