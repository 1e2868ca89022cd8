"""The Wagtail admin speaks Simplified Chinese to editors: no English or half-English
("This 页面 is currently awaiting moderation.") text on the screens they use.

Wagtail 7.4's bundled zh_Hans catalogue leaves a few hundred msgids untranslated; the
project fills the ones editors meet in cms/locale/zh_Hans/LC_MESSAGES/django.po.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import translation
from django.utils.translation import gettext, ngettext

ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
TAG = re.compile(r"<[^>]+>")


class _VisibleText(HTMLParser):
    """Collect what a person sees or hears: text nodes, labels, placeholders, accessible names."""

    HIDDEN = {"script", "style", "svg", "template", "noscript", "title"}
    SPOKEN_ATTRS = {"placeholder", "aria-label", "alt", "title", "data-w-progress-active-value"}

    def __init__(self):
        super().__init__()
        self.hidden_depth = 0
        self.current_label_for = None
        self.texts: list[str] = []
        self.labels: dict[str, str] = {}
        self.placeholders: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.HIDDEN:
            self.hidden_depth += 1
        if tag == "label" and attrs.get("for"):
            self.current_label_for = attrs["for"]
            self.labels[attrs["for"]] = ""
        if tag == "input" and attrs.get("id") and attrs.get("placeholder"):
            self.placeholders[attrs["id"]] = attrs["placeholder"]
        self.texts.extend(v for k, v in attrs.items() if k in self.SPOKEN_ATTRS and v)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden_depth:
            self.hidden_depth -= 1
        if tag == "label":
            self.current_label_for = None

    def handle_data(self, data):
        text = data.strip()
        if not text or self.hidden_depth:
            return
        self.texts.append(text)
        if self.current_label_for and text != "*":
            self.labels[self.current_label_for] += text


def _visible(html: str) -> _VisibleText:
    parser = _VisibleText()
    parser.feed(html)
    return parser


def _english_words(text: str) -> list[str]:
    # "Wagtail" is the product name and stays as it is.
    return [w for w in ENGLISH_WORD.findall(TAG.sub("", text)) if w != "Wagtail"]


@pytest.mark.django_db
def test_login_form_labels_and_buttons_are_chinese(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    page = _visible(response.content.decode())

    assert page.labels["id_username"] == "用户名"
    assert page.labels["id_password"] == "密码"
    assert page.placeholders["id_username"] == "请输入用户名"
    assert page.placeholders["id_password"] == "输入密码"
    assert "登录" in page.texts
    assert "记住我" in page.texts
    assert "忘记密码？" in page.texts

    visible = " | ".join(page.texts)
    for leftover in ("Password", "Username", "Sign in", "Remember me", "Forgotten password"):
        assert leftover not in visible
    assert _english_words(visible) == [], visible


@pytest.mark.django_db
def test_password_reset_form_is_chinese(client):
    response = client.get("/admin/password_reset/")
    assert response.status_code == 200
    page = _visible(response.content.decode())

    visible = " | ".join(page.texts)
    assert "重置密码" in visible
    assert _english_words(visible) == [], visible


MODERATION_MESSAGES = [
    ("This %(model_name)s is currently awaiting moderation.", {"model_name": "页面"}, "此页面正在等待审核。"),
    ("Only reviewers for this task can edit the %(model_name)s.", {"model_name": "页面"}, None),
    ("Only reviewers can edit and approve the %(model_name)s", {"model_name": "页面"}, None),
    ("This %(model_name)s hasn't been submitted for moderation yet", {"model_name": "页面"}, None),
    (
        "%(model_name)s '%(object)s' has been submitted for moderation.",
        {"model_name": "通知公告", "object": "关于开展主题党日活动的通知"},
        None,
    ),
    (
        "The %(model_name)s '%(title)s' is not currently awaiting moderation.",
        {"model_name": "页面", "title": "支部工作简报"},
        None,
    ),
    (
        'The %(model_name)s "%(title)s" has been rejected during "%(task)s" in workflow "%(workflow)s" by %(rejector)s.',
        {
            "model_name": "页面",
            "title": "支部工作简报",
            "task": "支部审核",
            "workflow": "三级审核",
            "rejector": "李审核",
        },
        None,
    ),
    (
        'The %(model_name)s "%(title)s" has been approved in workflow "%(workflow)s".',
        {"model_name": "页面", "title": "支部工作简报", "workflow": "三级审核"},
        None,
    ),
    ("Changes requested %(finished_at)s", {"finished_at": "3 小时之前"}, None),
    ("Sent to %(task_name)s %(started_at)s", {"task_name": "支部审核", "started_at": "3 小时之前"}, None),
    ("Schedule to publish", {}, "定时发布"),
    # The page editor says it the same way whether the page is new or edited.
    (
        "Page '%(page_title)s' has been submitted for moderation.",
        {"page_title": "支部工作简报"},
        "页面“支部工作简报”已提交审核。",
    ),
    (
        "Page '%(page_title)s' created and submitted for moderation.",
        {"page_title": "支部工作简报"},
        "页面“支部工作简报”已创建并提交审核。",
    ),
]


@pytest.mark.parametrize("msgid, params, expected", MODERATION_MESSAGES, ids=[m[0][:40] for m in MODERATION_MESSAGES])
def test_moderation_messages_are_fully_chinese(msgid, params, expected):
    with translation.override("zh-hans"):
        text = gettext(msgid) % params if params else gettext(msgid)
    assert _english_words(text) == [], text
    for value in params.values():
        assert value in text
    if expected:
        assert text == expected


def test_workflow_lock_message_with_brace_placeholders_is_chinese():
    msgid = "This {model_name} is awaiting <b>'{task_name}'</b> in the <b>'{workflow_name}'</b> workflow."
    with translation.override("zh-hans"):
        text = gettext(msgid).format(model_name="页面", task_name="支部审核", workflow_name="三级审核")
    assert _english_words(text) == [], text
    assert "支部审核" in text and "三级审核" in text


@pytest.mark.parametrize("count", [1, 5])
def test_bulk_publish_count_message_is_chinese_for_any_count(count):
    with translation.override("zh-hans"):
        text = ngettext(
            "%(num_parent_objects)d page has been published",
            "%(num_parent_objects)d pages have been published",
            count,
        ) % {"num_parent_objects": count}
    assert text == f"{count} 个页面已发布"


@pytest.fixture
def page_in_moderation(db, django_user_model):
    """A page submitted to a one-step workflow whose reviewers are another group."""
    from wagtail.models import GroupApprovalTask, GroupPagePermission, Page, Workflow, WorkflowPage, WorkflowTask

    root = Page.get_first_root_node()
    page = root.add_child(instance=Page(title="支部工作简报", slug="translation-check-page"))

    writers = Group.objects.create(name="翻译测试-撰稿")
    writers.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    for codename in ("add_page", "change_page"):
        GroupPagePermission.objects.create(
            group=writers,
            page=page,
            permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename),
        )
    reviewers = Group.objects.create(name="翻译测试-审核")

    task = GroupApprovalTask.objects.create(name="支部审核")
    task.groups.set([reviewers])
    workflow = Workflow.objects.create(name="翻译测试流程")
    WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=page, defaults={"workflow": workflow})

    writer = django_user_model.objects.create_user(username="translation-writer", password="x-Pass-2026")
    writer.groups.add(writers)
    page.save_revision(user=writer)
    workflow.start(page, writer)
    return page, writer


def test_page_editor_shows_awaiting_moderation_in_chinese(client, page_in_moderation):
    page, writer = page_in_moderation
    client.force_login(writer)

    response = client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()

    assert "此页面正在等待审核。" in html
    assert "awaiting moderation" not in html
    assert "is currently awaiting" not in html
