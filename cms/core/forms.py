import re

from anyascii import anyascii
from django.utils.text import slugify
from wagtail.admin.forms import WagtailAdminPageForm

from .slugs import RESERVED_SLUGS

MAX_SLUG_SYLLABLES = 8
#: The buttons of Wagtail's page editor that send a page towards the public site.
PUBLISHING_ACTIONS = ("action-submit", "action-publish", "action-workflow-action", "action-restart-workflow")


def slug_from_title(title: str) -> str:
    """A readable ASCII slug for a Chinese title: the pinyin of its first characters.

    Wagtail's own slug fill-in drops Chinese characters (unicode slugs are off so shared links
    stay short), which would leave editors typing a slug for every page.
    """
    # Latin letters and digits stay together ("2026"); each Chinese character is a syllable.
    spaced = "".join(char if char.isascii() else f" {anyascii(char)} " for char in title)
    words = re.findall(r"[A-Za-z0-9]+", spaced)
    return slugify("-".join(words[:MAX_SLUG_SYLLABLES]))[:80].strip("-")


class PublicPageForm(WagtailAdminPageForm):
    """Admin form of public pages: the slug may be left empty, and the date field does not
    make every save look like an edit."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "留空则根据标题自动生成（拼音）。"
        if "date" in self.fields:
            # A callable model default makes Django expect a hidden "initial-date" input that
            # Wagtail never renders, so the form always counted as changed: approving from the
            # edit view then saved a new revision as the reviewer.
            self.fields["date"].show_hidden_initial = False

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("slug") and cleaned.get("title"):
            base = slug_from_title(cleaned["title"]) or "page"
            if base in RESERVED_SLUGS:
                base = f"{base}-1"
            slug, number = base, 1
            while self._slug_taken(slug):
                number += 1
                slug = f"{base}-{number}"
            cleaned["slug"] = slug
            self.errors.pop("slug", None)
        return cleaned

    def publishing_requested(self) -> bool:
        """The editor pressed a button that submits the page for approval or publishes it
        (rules a page must meet before it goes public, while a draft may still be saved)."""
        return any(self.data.get(name) for name in PUBLISHING_ACTIONS)

    def _slug_taken(self, slug: str) -> bool:
        parent = self.parent_page
        siblings = parent.get_children() if parent is not None else None
        if siblings is None:
            return False
        if self.instance.pk:
            siblings = siblings.exclude(pk=self.instance.pk)
        return siblings.filter(slug=slug).exists()
