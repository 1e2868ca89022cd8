"""Conventions of everything under /api/: JSON errors in Chinese, the OpenAPI schema and a
docs page that loads nothing from outside hosts."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIRequestFactory

from cms.core.api import exception_handler
from cms.publishing.api import SiteBuildViewSet
from cms.study.api import LessonViewSet


def handle(exc, view):
    request = APIRequestFactory().post("/api/member/lessons/1/open/")
    response = exception_handler(exc, {"view": view, "request": request})
    return response.status_code, response.data


def test_a_services_permission_denied_is_the_uniform_404_never_a_403():
    assert handle(PermissionDenied("您不在这门课程的学习范围内。"), LessonViewSet()) == (
        404,
        {"detail": "未找到该课程或课时，或您不在学习范围内。", "code": "not_found"},
    )
    assert handle(PermissionDenied(), SiteBuildViewSet()) == (
        404,
        {"detail": "请求的内容不存在。", "code": "not_found"},
    )


def test_a_services_validation_error_is_a_400_with_its_message():
    assert handle(ValidationError("请先打开课时再上报学习时长。"), LessonViewSet()) == (
        400,
        {"detail": "请先打开课时再上报学习时长。", "code": "invalid"},
    )
    assert handle(ValidationError({"seconds": ["太长了。"], "__all__": ["不行。"]}), LessonViewSet()) == (
        400,
        {"detail": "不行。", "code": "invalid", "fields": {"seconds": ["太长了。"]}},
    )


def test_unexpected_errors_are_left_to_djangos_500_handling():
    request = APIRequestFactory().get("/api/member/courses/")
    assert exception_handler(RuntimeError("bug"), {"view": LessonViewSet(), "request": request}) is None


def test_other_api_endpoints_share_the_conventions(db, client):
    response = client.get("/api/site-builds/")
    assert response.status_code == 401
    assert response.json() == {"detail": "登录已过期或尚未登录，请重新登录。", "code": "not_authenticated"}
    assert client.get("/api/no-such-thing/").json() == {"detail": "接口不存在。", "code": "not_found"}


def test_the_schema_validates_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text(encoding="utf-8"))
    contract = {
        "/api/member/session/": {"get", "post", "delete"},
        "/api/member/courses/": {"get"},
        "/api/member/courses/{id}/": {"get"},
        "/api/member/lessons/{id}/": {"get"},
        "/api/member/lessons/{id}/open/": {"post"},
        "/api/member/lessons/{id}/heartbeat/": {"post"},
        "/api/member/lessons/{id}/complete/": {"post"},
        "/api/member/progress/": {"get"},
    }
    for path, methods in contract.items():
        assert set(schema["paths"][path]) == methods, path
    assert all(path.startswith("/api/") for path in schema["paths"])  # not Wagtail's admin API
    components = schema["components"]["schemas"]
    assert set(components["CourseDetail"]["properties"]) == {
        "id",
        "title",
        "intro",
        "required",
        "deadline",
        "lessons_total",
        "lessons_completed",
        "seconds_spent",
        "state",
        "state_label",
        "overdue",
        "lessons",
    }
    assert set(components["Lesson"]["properties"]) == {
        "id",
        "title",
        "summary",
        "course",
        "body_html",
        "required_seconds",
        "previous_id",
        "next_id",
        "progress",
    }
    assert set(components["Progress"]["properties"]) == {
        "lesson_id",
        "opened_at",
        "last_active_at",
        "seconds_spent",
        "required_seconds",
        "completed",
        "completed_at",
    }
    assert schema["paths"]["/api/member/lessons/{id}/heartbeat/"]["post"]["responses"]["400"]


def test_the_schema_is_served(db, client):
    response = client.get("/api/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert "/api/member/progress/" in response.json()["paths"]


def test_the_docs_page_loads_nothing_from_outside_hosts(db, client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    # Its script is a file of its own (the CSP allows no inline script) …
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script on the docs page"
    script = client.get("/api/docs/?script=").content.decode()
    assert "SwaggerUIBundle" in script
    assert '"validatorUrl": null' in script  # Swagger UI would fetch a badge from its validator
    for text in (html, script):
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert len(assets) == 4  # favicon, CSS, bundle, preset
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset  # shipped by drf-spectacular-sidecar


def test_wagtails_admin_api_keeps_drfs_own_error_shape():
    request = APIRequestFactory().get("/admin/api/main/pages/")
    response = exception_handler(PermissionDenied(), {"view": LessonViewSet(), "request": request})
    assert response.status_code == 403 and "code" not in response.data


# --------------------------------------------------------------------------- Django's own errors

JSON = "application/json"
CSRF_FAILED = {"detail": "页面已过期或请求来源无法验证，请刷新页面后重试。", "code": "csrf_failed"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/nonexistent/"),  # a plain Django view: Django's CSRF check answers
        ("post", "/api/member/session/"),  # DRF views: our authentication's CSRF check answers
        ("delete", "/api/member/session/"),
        ("post", "/api/member/lessons/1/open/"),
    ],
)
def test_a_request_without_the_csrf_token_is_refused_in_json(db, method, path):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(path, {"username": "someone", "password": "x"}, content_type=JSON)
    assert response.status_code == 403
    assert response["Content-Type"] == JSON
    assert response.json() == CSRF_FAILED


def test_outside_the_api_a_csrf_failure_is_djangos_page_in_chinese(db):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "someone", "password": "x"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert "CSRF验证失败" in response.content.decode()


@pytest.mark.urls("tests.core.failing_urls")
@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/api/test-failure/endpoint/", 500, {"detail": "服务器内部错误，请稍后重试。", "code": "server_error"}),
        ("/api/test-failure/bug/", 500, {"detail": "服务器内部错误，请稍后重试。", "code": "server_error"}),
        ("/api/test-failure/bad-request/", 400, {"detail": "请求无法处理，请刷新页面后重试。", "code": "bad_request"}),
        ("/api/test-failure/forbidden/", 403, {"detail": "您没有执行该操作的权限。", "code": "permission_denied"}),
        ("/api/test-failure/not-found/", 404, {"detail": "接口不存在。", "code": "not_found"}),
    ],
)
def test_djangos_error_answers_under_the_api_are_json(db, client, path, status, body):
    client.raise_request_exception = False  # answer as in production instead of raising in the test
    response = client.get(path)
    assert response.status_code == status
    assert response["Content-Type"] == JSON
    assert response.json() == body


@pytest.mark.urls("tests.core.failing_urls")
@pytest.mark.parametrize(
    ("failure", "status"), [("bug", 500), ("bad-request", 400), ("forbidden", 403), ("not-found", 404)]
)
def test_djangos_error_pages_elsewhere_stay_html(db, client, failure, status):
    client.raise_request_exception = False
    response = client.get(f"/test-failure/{failure}/")
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")


def test_a_bad_host_header_under_the_api_is_a_json_400(db, client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get("/api/member/session/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.json() == {"detail": "请求无法处理，请刷新页面后重试。", "code": "bad_request"}
    assert client.get("/admin/login/", headers={"Host": "evil.example"})["Content-Type"].startswith("text/html")
