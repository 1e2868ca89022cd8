"""Editor panels every page type may use: what the editor and the reviewer should know about
how this version of a page will look on the public site.

The link check itself belongs to the publishing app (it knows the site the exporter writes),
which sits above the page types; so the page types name this panel, and publishing hands it
the check when the apps are ready (``PublishingConfig.ready`` → ``use_link_checker``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from wagtail.admin.panels import Panel

_link_checker: Callable | None = None


def use_link_checker(check: Callable) -> None:
    """``check(page)`` → the page's links that will not work on the public site."""
    global _link_checker
    _link_checker = check


class LinkCheckPanel(Panel):
    """Lists the links of the page's current version that will not work on the public site
    (and become plain text there): shown at the top of the editor, where the reviewer
    reviews too. Hidden when every link is fine."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("heading", "链接检查")
        super().__init__(*args, **kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "core/panels/link_check.html"

        @cached_property
        def problems(self):
            if self.instance is None or self.instance.pk is None or _link_checker is None:
                return []
            return _link_checker(self.instance)

        def is_shown(self):
            return super().is_shown() and bool(self.problems)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["problems"] = self.problems
            return context
