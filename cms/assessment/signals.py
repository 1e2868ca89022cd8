"""Re-export the public 竞赛成绩公布 pages when what they show of their contest changes.

A quiz lives outside the public site, so publishing it records nothing for the site
(``cms.publishing.signals``). A result page's export depends on its contest's ranking settings
(``selectors.public_ranking_state``: live, 在公开网站公布排名, 隐藏姓名, the end): when a save of
the contest changes them, or the contest is deleted, each live result page of it is recorded
as published again with no revision, so the exporter writes its live row anew, with the
ranking or, when it may no longer be public, with a notice and no names."""

from __future__ import annotations

from django.db.models.signals import post_save, pre_delete, pre_save

from cms.publishing.models import ContentChange
from cms.publishing.tasks import record_change

from . import selectors
from .models import QuizPage
from .publication import live_result_pages

_BEFORE = "_public_ranking_state_before"


def _state_in_database(quiz_id: int) -> tuple:
    return selectors.public_ranking_state(QuizPage.objects.filter(pk=quiz_id).first())


def _reexport_result_pages(quiz: QuizPage) -> None:
    for page in live_result_pages(quiz):
        record_change(ContentChange.Action.PUBLISH, page=page)


def on_quiz_saving(sender, instance, raw=False, **kwargs):
    # The rows compared are the database's before and after the save: a draft revision saves
    # the page with update_fields, its in-memory values are not what is live.
    if raw or instance.pk is None or not live_result_pages(instance).exists():
        return
    setattr(instance, _BEFORE, _state_in_database(instance.pk))


def on_quiz_saved(sender, instance, created=False, raw=False, **kwargs):
    before = instance.__dict__.pop(_BEFORE, None)
    if raw or created or before is None:
        return
    if _state_in_database(instance.pk) != before:
        _reexport_result_pages(instance)


def on_quiz_deleting(sender, instance, **kwargs):
    # (Before the deletion sets the result pages' contest to NULL; exported after it, with
    # the notice.)
    _reexport_result_pages(instance)


def connect():
    pre_save.connect(on_quiz_saving, sender=QuizPage, dispatch_uid="assessment.quiz_saving")
    post_save.connect(on_quiz_saved, sender=QuizPage, dispatch_uid="assessment.quiz_saved")
    pre_delete.connect(on_quiz_deleting, sender=QuizPage, dispatch_uid="assessment.quiz_deleting")
