"""Security headers for every answer, and the admin on a host of its own.

Defence in depth behind the escaping rules (``build_scripts/html_safety.py``): even if a
value slipped through, the Content-Security-Policy lets no inline script run and loads
nothing from another host. Each part of the site gets the policy it can live with:

* ``site``: the public static site, the member area, documents. Scripts, styles, images
  and media from the site itself only; no inline script.
* ``api``: JSON answers render nothing, so they may load nothing and be framed nowhere.
* ``api_docs``: Swagger UI (``/api/docs/``), served from the site with its script as a file.
* ``admin``: Wagtail's admin, which frames its own previews and still carries a few inline
  scripts and styles of Wagtail's (its CSP work is ongoing upstream), so it is looser;
  serve it on its own host name (``ADMIN_HOST``) so that no page of the public site can
  ever reach its cookies.

nosniff, ``Referrer-Policy`` and ``X-Frame-Options`` come from Django's own middleware
(``SecurityMiddleware``, ``XFrameOptionsMiddleware``); ``docs/operations.md`` has the same
headers for nginx serving the static site.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect

ADMIN_PREFIXES = ("/admin/",)
# Paths an admin page itself loads from its own host (static files, image renditions in
# listings and choosers, documents editors download).
ADMIN_HOST_ALSO_SERVES = ("/static/", "/media/", "/documents/")


def policy_name(path: str) -> str:
    if path.startswith(ADMIN_PREFIXES):
        return "admin"
    if path.startswith("/api/docs/"):
        return "api_docs"
    if path.startswith("/api/"):
        return "api"
    return "site"


def content_security_policy(path: str) -> str:
    return settings.CONTENT_SECURITY_POLICIES[policy_name(path)]


class SecurityHeadersMiddleware:
    """Adds the Content-Security-Policy of the part of the site a path belongs to, and keeps
    API answers (a member's lessons, progress, session) out of every cache: a shared
    computer's browser or a proxy must not hand one person's data to the next."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        header = (
            "Content-Security-Policy-Report-Only"
            if settings.CONTENT_SECURITY_POLICY_REPORT_ONLY
            else "Content-Security-Policy"
        )
        if header not in response:
            response[header] = content_security_policy(request.path)
        if policy_name(request.path) in ("api", "api_docs") and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


class AdminHostMiddleware:
    """With ``ADMIN_HOST`` set, the admin answers on that host name only, and that host
    serves nothing of the public site: a script on the public site (an escaping bug, a
    hostile upload) then runs on another origin than the admin and cannot read its pages
    or use its cookies (session and CSRF cookies are host-only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        admin_host = settings.ADMIN_HOST
        if admin_host:
            on_admin_host = request.get_host().split(":")[0].lower() == admin_host.lower()
            wants_admin = request.path.startswith(ADMIN_PREFIXES)
            if wants_admin and not on_admin_host:
                raise Http404("管理后台不在此地址提供。")
            if on_admin_host and not wants_admin and not request.path.startswith(ADMIN_HOST_ALSO_SERVES):
                return redirect(settings.PUBLIC_SITE_URL.rstrip("/") + request.get_full_path())
        return self.get_response(request)


class IdleSessionMiddleware:
    """Sessions end after ``SESSION_COOKIE_AGE`` seconds without a request (30 minutes by
    default), in the admin and the member area alike: each request of a signed-in person
    pushes the expiry forward. The session is rewritten at most once a minute
    (``SESSION_REFRESH_SECONDS``), not on every request. Runs inside SessionMiddleware,
    which saves what it marks."""

    KEY = "_dj_touched"
    # What counts as activity: the admin, the API (the member area's calls, lesson
    # heartbeats while a lesson is visible) and documents. The public site's files do not:
    # in production nginx serves them and Django never sees those requests.
    ACTIVE_PREFIXES = ("/admin/", "/api/", "/documents/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if (
            request.path.startswith(self.ACTIVE_PREFIXES)
            and session is not None
            and not session.is_empty()
            and session.get("_auth_user_id")
        ):
            now = int(time.time())
            if now - int(session.get(self.KEY, 0)) >= settings.SESSION_REFRESH_SECONDS:
                session[self.KEY] = now
        return response


def session_started(sender, request, user, **kwargs):
    """A log-in has just set the session's expiry: the first requests after it need not."""
    if request is not None and hasattr(request, "session"):
        request.session[IdleSessionMiddleware.KEY] = int(time.time())
