from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "cms.feedback"
    label = "feedback"
    verbose_name = "问卷"

    def ready(self):
        from cms.accounts.serializers import register_badge

        from .selectors import waiting_count

        register_badge("forms", waiting_count)  # forms waiting for the member's answer
