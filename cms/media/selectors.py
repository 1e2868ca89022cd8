"""Who may read an image or a document file: the one rule behind ``/media/images/``,
``/media/original_images/`` and ``/documents/`` (``cms.media.views``).

* A file in a collection without a view restriction is public, as on the static site.
* A file in a restricted collection (the collection or one above it) needs the collection's
  restriction passed first — exactly what Wagtail's document view always checked (log-in,
  groups, password) — and then one of:
    - the person may use it in the admin (``choose`` or ``change`` for its collection under
      Wagtail's image/document permission policy): editors' choosers and thumbnails;
    - a live page that uses it (Wagtail's ``ReferenceIndex``, kept current on publish by
      ``cms.media.signals``) is one the person may read: a lesson or course by the study
      audience rule (``cms.study.selectors``), any other page of the study tree never, a page
      elsewhere by Wagtail's page view restriction.
* Anybody else: anonymous visitors are sent to log in, signed-in people get the same 404 as
  for a file that does not exist (as ``visible_course`` does for courses).
"""

from __future__ import annotations

import enum

from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest
from wagtail.documents.models import AbstractDocument
from wagtail.models import BaseViewRestriction, Page, ReferenceIndex


class Access(enum.Enum):
    PUBLIC = "public"  # no view restriction: anyone, like the static site
    ALLOWED = "allowed"  # restricted, and this request may read it
    LOG_IN = "log_in"  # restricted and nobody is signed in: the member log-in first
    PASSWORD = "password"  # a password restriction not passed yet (documents: Wagtail's form)
    NOT_FOUND = "not_found"  # signed in but not theirs: answered like a missing file


def _permission_policy(file_object):
    if isinstance(file_object, AbstractDocument):
        from wagtail.documents.permissions import permission_policy
    else:
        from wagtail.images.permissions import permission_policy
    return permission_policy


def may_use_in_admin(user, file_object) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and _permission_policy(file_object).user_has_any_permission_for_instance(
            user, ["choose", "change"], file_object
        )
    )


def pages_using(file_object):
    """Live pages that use the file (in their body, as a poster, in a rich-text link…)."""
    page_type = ContentType.objects.get_for_model(Page)
    ids = (
        ReferenceIndex.get_references_to(file_object)
        .filter(base_content_type=page_type)
        .values_list("object_id", flat=True)
    )
    return Page.objects.live().filter(pk__in=[int(pk) for pk in set(ids)]).specific()


def may_read_page(request: HttpRequest, page: Page) -> bool:
    from cms.study.models import CoursePage, LessonPage
    from cms.study.selectors import can_study, studyable_course

    if isinstance(page, LessonPage):
        return studyable_course(request.user, page) is not None
    if isinstance(page, CoursePage):
        return can_study(request.user, page)
    if page._meta.app_label == "study":
        return False  # 学习园地 itself, or a study page type that has no rule here yet
    return all(restriction.accept_request(request) for restriction in page.get_view_restrictions())


def file_access(request: HttpRequest, file_object) -> Access:
    """What ``request`` may do with an image or a document (see the module docstring)."""
    restrictions = list(file_object.collection.get_view_restrictions())
    if not restrictions:
        return Access.PUBLIC
    user = request.user
    failed = [restriction for restriction in restrictions if not restriction.accept_request(request)]
    if failed:
        if all(restriction.restriction_type == BaseViewRestriction.PASSWORD for restriction in failed):
            return Access.PASSWORD
        return Access.NOT_FOUND if user.is_authenticated else Access.LOG_IN
    if may_use_in_admin(user, file_object):
        return Access.ALLOWED
    if any(may_read_page(request, page) for page in pages_using(file_object)):
        return Access.ALLOWED
    return Access.NOT_FOUND if user.is_authenticated else Access.LOG_IN
