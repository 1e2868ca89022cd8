"""Events that fan out to channels and email: a registry, and the built-in 网站发布.

Adding an event is one registration (a small module calling ``register`` at import, loaded
from its app's ``ready()``)::

    register(Event(
        key="notice_sent", label="通知发布", topic=Topic.NOTICE,
        message=lambda notice: make_message(title=notice.title, text=..., url=..., event="notice_sent"),
        units=lambda notice: {unit.pk for unit in notice.units.all()},
        recipients=lambda notice: notice.recipients(),   # users who may also get email
        email_preference="notices",
    ))

and then ``cms.delivery.services.announce("notice_sent", notice)`` (or with explicit
``units=``/``recipients=``, e.g. a reminder to those who have not read it yet).

Who receives what: a channel of the whole 党委 (no unit, or a top-level 党委) gets every
event of its topic; a nested 党委's channel gets its own units' events and those below
it; any other unit's channel (党总支, 党支部) gets exactly its own unit's events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .models import Topic
from .transport import make_message


@dataclass(frozen=True)
class Event:
    key: str
    label: str
    topic: str  # a models.Topic: what a channel subscribes to
    message: Callable[[Any], Any]  # obj -> cms.delivery.platforms.base.Message
    units: Callable[[Any], Iterable[int]]  # obj -> ids of the organisation units it concerns
    # obj -> users (or their ids, or a queryset) who may get it by email; None: no email.
    recipients: Callable[[Any], Iterable] | None = None
    # Which EmailPreference flag a person must have set to get the email ("notices"/"answers").
    email_preference: str | None = None


_REGISTRY: dict[str, Event] = {}


def register(event: Event) -> Event:
    if event.topic not in Topic.values:
        raise ValueError(f"unknown topic {event.topic!r} for event {event.key!r}")
    _REGISTRY[event.key] = event
    return event


def get(key: str) -> Event:
    try:
        return _REGISTRY[key]
    except KeyError:
        raise LookupError(f"no delivery event {key!r} is registered") from None


def all_events() -> list[Event]:
    return list(_REGISTRY.values())


def choices() -> list[tuple[str, str]]:
    return [(event.key, event.label) for event in _REGISTRY.values()]


# 网站发布: a public page went live ----------------------------------------------------------

PAGE_PUBLISHED = "page_published"


def _page_units(page) -> set[int]:
    """The unit that issued the page and the branches whose sections hold it."""
    from cms.openness.models import SectionPage

    units = {getattr(page, "issuing_unit_id", None)}
    units |= set(
        SectionPage.objects.ancestor_of(page).exclude(organisation=None).values_list("organisation_id", flat=True)
    )
    return {unit for unit in units if unit is not None}


def _page_message(page):
    from cms.publishing.exportable import default_site

    url = settings.PUBLIC_SITE_URL.rstrip("/") + (page.relative_url(default_site()) or "/")
    facts = []
    date = getattr(page, "date", None)
    if date:
        facts.append(f"发布日期：{date.year}年{date.month}月{date.day}日")
    unit = getattr(page, "issuing_unit", None)
    if unit is not None:
        facts.append(f"发布单位：{unit.name}")
    text = (getattr(page, "summary", "") or page.search_description or "").strip()
    return make_message(
        title=page.title, text=text, url=url, image_url=_page_image_url(page), facts=facts, event=PAGE_PUBLISHED
    )


def _page_image_url(page) -> str:
    """The address of the picture the public page shows when shared (its 封面图, else its
    first public image), exactly as the export named it, or ""."""
    from cms.core.models import ArticlePage
    from cms.publishing.exportable import is_exportable
    from cms.publishing.exporter import share_image_path
    from cms.publishing.markdown import AssetCollector

    if not isinstance(page, ArticlePage):
        return ""
    path = share_image_path(page, AssetCollector(is_page_exportable=is_exportable))
    return settings.PUBLIC_SITE_URL.rstrip("/") + path if path else ""


register(Event(key=PAGE_PUBLISHED, label="网站发布", topic=Topic.PUBLISH, message=_page_message, units=_page_units))
