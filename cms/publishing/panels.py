"""Editor panels of the publishing app: what the editor and the reviewer should know about
how this version of a page will look on the public site."""
from __future__ import annotations

from functools import cached_property

from wagtail.admin.panels import Panel


class LinkCheckPanel(Panel):
    """Lists the links of the page's current version that will not work on the public site
    (and become plain text there): shown at the top of the editor, where the reviewer
    reviews too. Hidden when every link is fine."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("heading", "链接检查")
        super().__init__(*args, **kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "publishing/panels/link_check.html"

        @cached_property
        def problems(self):
            from .exporter import link_problems

            if self.instance is None or self.instance.pk is None:
                return []
            return link_problems(self.instance)

        def is_shown(self):
            return super().is_shown() and bool(self.problems)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["problems"] = self.problems
            return context
