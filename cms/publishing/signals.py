"""Signal handlers only record the change and enqueue the publish task (and wake the
workers once a queued task is committed)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone
from django_tasks.signals import task_enqueued
from wagtail.models import CollectionViewRestriction, Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move, workflow_approved

from . import workers
from .models import ContentChange

Action = ContentChange.Action


def _outside_public_site(page) -> bool:
    """Pages outside the default site's tree (the private 学习园地) never reach content/, so
    their publishing must not queue site builds or fill the publishing log."""
    root_path = Site.objects.filter(is_default_site=True).values_list("root_page__path", flat=True).first()
    return bool(root_path and page is not None and page.path and not page.path.startswith(root_path))


def _record(action, page=None, author=None, revision=None, url_path=None):
    from .tasks import record_change

    if _outside_public_site(page):
        return
    record_change(action, page=page, author=author, revision=revision, url_path=url_path)


def on_page_published(sender, instance, revision=None, **kwargs):
    # The revision is what gets exported for this change (not the page as it is later).
    _record(
        Action.PUBLISH,
        instance,
        author=getattr(revision, "user", None),
        revision=revision if getattr(revision, "pk", None) else None,
    )


def on_workflow_approved(sender, instance, user=None, **kwargs):
    """Credit an approved page to the editor who submitted it, not to the reviewer.

    Wagtail publishes (page_published) before it sends workflow_approved, and an approval
    made from the edit view saves a revision as the reviewer; the submitter is the author.
    """
    if not issubclass(instance.base_content_type.model_class() or object, Page):
        return
    pending = ContentChange.objects.filter(
        page_id=int(instance.object_id), action=Action.PUBLISH, processed_at__isnull=True
    ).order_by("-id")
    # Wagtail publishes the page's latest revision on approval.
    latest = Page.objects.filter(pk=int(instance.object_id)).values_list("latest_revision_id", flat=True).first()
    change = (latest and pending.filter(revision_id=latest).first()) or pending.first()
    if change is not None:
        change.author = instance.requested_by
        change.actor = user
        change.save(update_fields=["author", "actor"])


def on_page_unpublished(sender, instance, **kwargs):
    _record(Action.UNPUBLISH, instance)


def on_page_moved(sender, instance, **kwargs):
    if kwargs.get("url_path_before") != kwargs.get("url_path_after"):
        _record(Action.MOVE, instance, url_path=kwargs.get("url_path_after"))


def on_page_deleted(sender, instance, **kwargs):
    _record(Action.DELETE, instance)


def on_page_restriction_changed(sender, instance, **kwargs):
    page = Page.objects.filter(pk=instance.page_id).first()
    _record(Action.PRIVACY, page)


def on_collection_restriction_changed(sender, instance, **kwargs):
    _record(Action.REBUILD)


def on_site_settings_saved(sender, instance, created=False, **kwargs):
    # Wagtail creates the row with defaults the first time anything reads it (the exporter
    # included); only an edit changes what the site shows.
    if not created:
        _record(Action.SETTINGS)


def on_media_saving(sender, instance, **kwargs):
    # A new upload is not used by any live page yet; a replaced file or a move between
    # collections (public <-> restricted) can change what live pages show.
    if instance.pk is None:
        return
    before = sender.objects.filter(pk=instance.pk).values("file", "collection_id", "title").first()
    if before and (
        before["file"] != instance.file.name
        or before["collection_id"] != instance.collection_id
        or before["title"] != instance.title
    ):
        _record(Action.REBUILD)


def on_task_enqueued(sender, task_result, **kwargs):
    # Rung after the commit: a worker woken before it would find the queue as it was.
    run_after = task_result.task.run_after
    if run_after is None or run_after <= timezone.now():
        transaction.on_commit(workers.ring_doorbells)


def connect():
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model

    from cms.core.models import SiteSettings

    task_enqueued.connect(on_task_enqueued, dispatch_uid="publishing.task_enqueued")
    page_published.connect(on_page_published, dispatch_uid="publishing.page_published")
    page_unpublished.connect(on_page_unpublished, dispatch_uid="publishing.page_unpublished")
    workflow_approved.connect(on_workflow_approved, dispatch_uid="publishing.workflow_approved")
    post_page_move.connect(on_page_moved, dispatch_uid="publishing.page_moved")
    post_delete.connect(on_page_deleted, sender=Page, dispatch_uid="publishing.page_deleted")
    for model, handler in (
        (PageViewRestriction, on_page_restriction_changed),
        (CollectionViewRestriction, on_collection_restriction_changed),
    ):
        post_save.connect(handler, sender=model, dispatch_uid=f"publishing.{model.__name__}.save")
        post_delete.connect(handler, sender=model, dispatch_uid=f"publishing.{model.__name__}.delete")
    post_save.connect(on_site_settings_saved, sender=SiteSettings, dispatch_uid="publishing.site_settings")
    for model in (get_image_model(), get_document_model()):
        pre_save.connect(on_media_saving, sender=model, dispatch_uid=f"publishing.{model.__name__}.save")
