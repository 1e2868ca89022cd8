from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "cms.assessment"
    label = "assessment"
    verbose_name = "测评中心"

    def ready(self) -> None:
        from cms.accounts.serializers import register_badge
        from cms.study.selectors import register_completion_gate

        from . import signals
        from .selectors import courses_waiting_for_a_quiz, required_waiting_count

        register_badge("quizzes", required_waiting_count)  # required quizzes open and not passed

        # A quiz linked to a course must be passed for the course to count as completed.
        register_completion_gate(courses_waiting_for_a_quiz)

        # A contest's ranking settings changed: its public 竞赛成绩公布 pages are exported again.
        signals.connect()
