"""Keep Wagtail's reference index current the moment a page goes live.

``cms.media.selectors`` decides who may read a private image or document from the pages
that use it, read from Wagtail's ``ReferenceIndex``. Wagtail updates that index in a queued
task (``update_reference_index_task``), which the worker runs after the site build: until
then a member would get 404 for an image just added to a lesson. Indexing the published
page here, in the publish's own transaction, closes that gap; the queued task later writes
the same rows again."""

from wagtail.models import ReferenceIndex


def index_references_now(sender, instance, **kwargs):
    if ReferenceIndex.is_indexed(type(instance)):
        ReferenceIndex.create_or_update_for_object(instance)
