"""Security headers on every answer and the admin on a host of its own (cms/core/security.py)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import PASSWORD, UserFactory

OPERATIONS = Path(settings.BASE_DIR) / "docs" / "operations.md"


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


@pytest.fixture
def built_site(home, publish):
    publish()


def test_the_site_and_the_member_area_allow_no_inline_script(client, built_site):
    for path in ("/", "/member/", "/help/", "/tags/", "/does-not-exist/", "/member/lesson/?id=1"):
        response = client.get(path)
        policy = directives(response)
        assert policy["script-src"] == "script-src 'self'", path
        assert policy["object-src"] == "object-src 'none'"
        assert policy["base-uri"] == "base-uri 'self'"
        assert policy["frame-ancestors"] == "frame-ancestors 'none'"
        assert "default-src 'self'" in policy["default-src"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        # …and the pages need none: every script is a file of the site.
        html = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
    assert client.get("/release.json").status_code == 404  # the build's own records
    assert client.get("/.build-state/meta.json").status_code == 404


@pytest.mark.parametrize("path", ["/api/member/courses/", "/api/nonexistent/", "/api/schema/"])
def test_api_answers_may_load_and_frame_nothing(client, db, path):
    policy = directives(client.get(path))
    assert policy["default-src"] == "default-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"


def test_member_api_answers_are_never_cached(db):
    from tests.study.conftest import client_for

    member = UserFactory(username="member")
    for client in (client_for(), client_for(member)):
        for path in ("/api/member/session/", "/api/member/courses/", "/api/member/progress/", "/api/nonexistent/"):
            assert client.get(path)["Cache-Control"] == "no-store", path


def test_api_docs_load_their_script_from_the_site(client, db):
    policy = directives(client.get("/api/docs/"))
    assert policy["script-src"] == "script-src 'self'"


def test_the_admin_frames_only_itself(client, db):
    response = client.get("/admin/login/")
    policy = directives(response)
    assert policy["frame-ancestors"] == "frame-ancestors 'self'"
    assert policy["object-src"] == "object-src 'none'"


def test_report_only_for_audits_sends_the_same_policy_without_enforcing_it(client, db, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = True
    response = client.get("/api/nonexistent/")
    assert "Content-Security-Policy" not in response
    assert response["Content-Security-Policy-Report-Only"] == settings.CONTENT_SECURITY_POLICIES["api"]


def test_nginx_sends_the_site_policy_of_the_settings():
    text = OPERATIONS.read_text(encoding="utf-8")
    found = re.findall(r'add_header Content-Security-Policy "([^"]+)" always;', text)
    # Files nginx serves itself (the site, /static/) get the site's policy; the internal
    # locations files leave by after the app's check (cms/media) get "default-src 'none'":
    # nothing in a file may run, as Wagtail's own document answers say.
    assert found[0] == settings.CONTENT_SECURITY_POLICIES["site"]
    assert set(found) == {settings.CONTENT_SECURITY_POLICIES["site"], "default-src 'none'"}


class TestAdminOnItsOwnHost:
    @pytest.fixture(autouse=True)
    def admin_host(self, settings):
        settings.ADMIN_HOST = "admin.dangjian.example.cn"
        settings.PUBLIC_SITE_URL = "https://dangjian.example.cn/"

    def test_the_public_host_has_no_admin(self, client, db):
        assert client.get("/admin/login/", HTTP_HOST="dangjian.example.cn").status_code == 404
        assert client.get("/admin/", HTTP_HOST="dangjian.example.cn").status_code == 404

    def test_the_admin_host_serves_the_admin_and_nothing_else(self, client, built_site):
        UserFactory(username="boss", is_superuser=True, is_staff=True)
        assert client.get("/admin/login/", HTTP_HOST="admin.dangjian.example.cn").status_code == 200
        assert client.login(username="boss", password=PASSWORD)
        assert client.get("/admin/", HTTP_HOST="admin.dangjian.example.cn").status_code == 200
        response = client.get("/news/?x=1", HTTP_HOST="admin.dangjian.example.cn")
        assert response.status_code == 302 and response["Location"] == "https://dangjian.example.cn/news/?x=1"
        assert client.get("/static/wagtailadmin/css/core.css", HTTP_HOST="admin.dangjian.example.cn").status_code != 302

    def test_the_public_host_still_serves_the_site_and_the_api(self, client, built_site):
        assert client.get("/", HTTP_HOST="dangjian.example.cn").status_code == 200
        assert client.get("/api/member/session/", HTTP_HOST="dangjian.example.cn").status_code == 200


class TestIdleSessions:
    """A session ends after 30 minutes without a request, in the admin and the member area."""

    @pytest.fixture
    def member(self, db):
        from tests.study.conftest import client_for

        user = UserFactory(username="member")
        return client_for(user)

    def _session(self, client):
        from django.contrib.sessions.models import Session

        return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)

    def test_the_default_idle_time_is_thirty_minutes(self):
        assert settings.SESSION_COOKIE_AGE == 30 * 60

    def test_activity_moves_the_expiry_forward_at_most_once_a_minute(self, member):
        import datetime

        from django.utils import timezone

        member.get("/api/member/session/")
        row = self._session(member)
        row.expire_date = timezone.now() + datetime.timedelta(minutes=5)  # as if idle for 25 minutes
        data = row.get_decoded()
        data["_dj_touched"] = 0  # last refreshed long ago
        row.session_data = row.get_session_store_class()().encode(data)
        row.save()

        member.get("/api/member/courses/")
        expiry = self._session(member).expire_date
        assert expiry > timezone.now() + datetime.timedelta(minutes=29)

        member.get("/api/member/courses/")  # within the minute: no second write
        assert self._session(member).expire_date == expiry

    def test_an_expired_session_must_log_in_again(self, member):
        import datetime

        from django.utils import timezone

        member.get("/api/member/session/")
        row = self._session(member)
        row.expire_date = timezone.now() - datetime.timedelta(seconds=1)
        row.save()

        response = member.get("/api/member/courses/")
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
        assert "重新登录" in response.json()["detail"]
