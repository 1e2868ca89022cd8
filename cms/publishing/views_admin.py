import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports.page_types_usage import PageTypesUsageReportView
from wagtail.models import Page

from build_scripts.media_store import NOT_IN_STORE_MESSAGE, MediaStoreError
from cms.accounts.views_admin import AdministratorsOnly

from . import history, rollback, selectors, services, tasks
from .models import SiteBuild


def build_list(request):
    return TemplateResponse(
        request,
        "publishing/build_list.html",
        {
            "builds": selectors.recent_builds(50),
            "latest_failure": selectors.unresolved_failure(),
            "page_title": "网站发布记录",
            "header_title": "网站发布记录",
        },
    )


# ----------------------------------------------------------------------------- rollback and history
# Releases and content rollback need the `publishing.rollback_site` permission (group 管理员);
# a page's publishing history needs permission to edit that page.

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


class RollbackPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not rollback.can_rollback(request.user):
            raise PermissionDenied  # Wagtail answers with a redirect to the dashboard + message
        return super().dispatch(request, *args, **kwargs)


class _AdminPage(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "history"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]


class _ReleasesSection(RollbackPermissionMixin, _AdminPage):
    def get_breadcrumbs_items(self):
        items = list(self.breadcrumbs_items)
        items.append({"url": reverse("publishing_releases"), "label": "网站版本与回滚"})
        if self.get_page_title() != "网站版本与回滚":
            items.append({"url": "", "label": self.get_page_title()})
        return items


class ReleaseListView(_ReleasesSection):
    template_name = "publishing/releases.html"
    page_title = "网站版本与回滚"

    def get_context_data(self, **kwargs):
        actions = history.rollback_actions()
        return super().get_context_data(
            rows=history.releases_overview(),
            actions=actions,
            in_progress=any(a.status in (SiteBuild.Status.QUEUED, SiteBuild.Status.RUNNING) for a in actions),
            pending_changes=history.pending_change_count(),
            **kwargs,
        )


class ReleaseRollbackView(_ReleasesSection):
    """GET: what will happen; POST (with CSRF): switch `current` to the kept release."""

    template_name = "publishing/release_confirm.html"
    page_title = "回滚到已保留的版本"

    def _row(self):
        for row in history.releases_overview():
            if row.release.name == self.kwargs["name"]:
                return row
        raise Http404("没有这个网站版本")

    def get_context_data(self, **kwargs):
        return super().get_context_data(row=self._row(), pending_changes=history.pending_change_count(), **kwargs)

    def post(self, request, name):
        try:
            rollback.switch_release(name, user=request.user)
        except rollback.RollbackError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"公开网站已切换到版本 {name}。下一次发布会按 CMS 中的当前内容重新构建。")
        return redirect("publishing_releases")


class ContentHistoryView(_ReleasesSection):
    template_name = "publishing/content_history.html"
    page_title = "按内容提交回滚"
    per_page = 30

    def get_context_data(self, **kwargs):
        repo = history.content_repo()
        page = Paginator(history.CommitLog(repo), self.per_page).get_page(self.request.GET.get("p"))
        releases = history.release_names_by_commit()
        for commit in page.object_list:
            commit["releases"] = releases.get(commit["sha"], [])
        return super().get_context_data(commits=page, head=repo.head(), **kwargs)


class ContentRollbackView(_ReleasesSection):
    """GET: the commit, what differs from now, the warning; POST: commit its tree and rebuild."""

    template_name = "publishing/content_confirm.html"
    page_title = "以此版本重建网站"

    def dispatch(self, request, *args, **kwargs):
        if not _FULL_SHA.match(kwargs["sha"]):
            raise Http404("提交号无效")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        repo = history.content_repo()
        if repo.resolve_commit(self.kwargs["sha"]) != self.kwargs["sha"]:
            raise Http404("内容仓库中没有这个提交")
        return super().get_context_data(
            commit=history.commit_details(repo, self.kwargs["sha"]),
            releases=history.release_names_by_commit().get(self.kwargs["sha"], []),
            pending_changes=history.pending_change_count(),
            **kwargs,
        )

    def post(self, request, sha):
        # Queued for the worker: rebuilding a large site takes longer than a request may.
        try:
            tasks.queue_content_rollback(sha, user=request.user)
        except rollback.RollbackError as error:
            messages.error(request, str(error))
            return redirect("publishing_content_history")
        messages.success(
            request,
            f"已加入发布队列：将网站内容回滚到 {sha[:8]} 并重建网站。"
            "后台任务进程会按顺序处理，进度见下方「最近的回滚操作」。"
            "CMS 中的页面不会改变：页面再次发布时会恢复为 CMS 中的内容，"
            "全站同步（publish_site）会恢复全部页面。",
        )
        return redirect("publishing_releases")


class PageHistoryView(_AdminPage):
    """A page's published versions from content/'s git history and a diff between two."""

    template_name = "publishing/page_history.html"
    page_title = "发布历史"

    def dispatch(self, request, *args, **kwargs):
        self.page = get_object_or_404(Page, pk=kwargs["page_id"]).specific
        if not self.page.permissions_for_user(request.user).can_edit():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.page.get_admin_display_title()

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {
                "url": reverse("wagtailadmin_pages:edit", args=[self.page.pk]),
                "label": self.page.get_admin_display_title(),
            },
            {"url": "", "label": "发布历史"},
        ]

    def get_context_data(self, **kwargs):
        path, versions = history.page_versions(self.page)
        by_sha = {v["sha"]: v for v in versions}
        shown = [v for v in versions if not v["removed"]]
        new = by_sha.get(self.request.GET.get("to")) or (shown[0] if shown else None)
        old = by_sha.get(self.request.GET.get("from"))
        if old is None and new is not None:
            older = versions[versions.index(new) + 1 :]
            old = next((v for v in older if not v["removed"]), None)
        diff = None
        if new is not None and old is not None and old is not new:
            diff = history.diff_lines(history.version_text(old), history.version_text(new))
        return super().get_context_data(
            page=self.page,
            content_path=path,
            versions=versions,
            old=old,
            new=new,
            diff=diff,
            public_url=self.page.full_url if self.page.live else None,
            **kwargs,
        )


class AdministratorPageTypesUsageView(AdministratorsOnly, PageTypesUsageReportView):
    """Wagtail's 页面类型使用情况 report names the last edited page of every type across the
    whole tree (a course or lesson title for an editor of one branch), so only 管理员 see it."""


page_types_usage = require_admin_access(AdministratorPageTypesUsageView.as_view())
page_types_usage_results = require_admin_access(AdministratorPageTypesUsageView.as_view(results_only=True))


# ----------------------------------------------------------------------------- media store
# Purging media needs the same permission as rollback (group 管理员): it changes what kept
# releases, and so a rollback, can serve.

_OID = re.compile(r"[0-9a-f]{64}")


class MediaStoreView(_ReleasesSection):
    """The media store: every stored video, audio file and document, and which are used."""

    template_name = "publishing/media_store.html"
    page_title = "媒体文件库"

    def get_context_data(self, **kwargs):
        rows = selectors.stored_media()
        unused = [row for row in rows if not row.in_use]
        return super().get_context_data(
            rows=rows, unused_count=len(unused), unused_bytes=sum(row.size for row in unused), **kwargs
        )


class MediaPurgeView(_ReleasesSection):
    """GET: the medium and what purging means; POST (with CSRF): purge it."""

    template_name = "publishing/media_purge_confirm.html"
    page_title = "清除媒体文件"

    def dispatch(self, request, *args, **kwargs):
        if not _OID.fullmatch(kwargs["oid"]):
            raise Http404("媒体文件标识无效")
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        items = super().get_breadcrumbs_items()
        items.insert(-1, {"url": reverse("publishing_media_store"), "label": "媒体文件库"})
        return items

    def get_context_data(self, **kwargs):
        row = selectors.stored_medium(self.kwargs["oid"])
        if row is None:
            raise Http404(NOT_IN_STORE_MESSAGE)
        return super().get_context_data(row=row, **kwargs)

    def post(self, request, oid):
        try:
            record = services.purge_media(oid, user=request.user)
        except (services.MediaInUse, services.PublishingBusy, MediaStoreError) as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"已清除媒体文件 {oid[:12]}（{filesizeformat(record['size'])}），"
                f"并从保留的网站版本中移除 {record['release_links_removed']} 处。此操作已记入审计日志。",
            )
        return redirect("publishing_media_store")
