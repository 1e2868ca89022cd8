"""Each audited event, through the code path a person uses, gives exactly one entry with the
right who, what and where (REMOTE_ADDR is 127.0.0.1 under Django's test client)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from cms.accounts.models import BranchRole, MemberStatus, Membership
from cms.accounts.roles import ADMINISTRATOR, EDITOR
from cms.audit.models import Action, AuditEntry
from cms.audit.selectors import verify_chain
from tests.audit.conftest import entries, only_entry, start_here
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    NewsPageFactory,
    OrganisationUnitFactory,
    SectionPageFactory,
    UserFactory,
)
from tests.html import error_texts, soup

UA = "Mozilla/5.0 (审计测试) " + "x" * 400
SESSION = "/api/member/session/"


@pytest.fixture
def people(home):
    branch = OrganisationUnitFactory(name="第一党支部")
    member = UserFactory(username="member", last_name="钱", first_name="学员", organisation=branch)
    MembershipFactory(user=member, status=MemberStatus.FULL)
    people = {
        "admin": UserFactory(username="admin1", groups=[ADMINISTRATOR]),
        "editor": UserFactory(username="editor", groups=[EDITOR]),
        "member": member,
        "branch": branch,
    }
    start_here()
    return people


@pytest.fixture
def admin_client(people):
    client = Client(HTTP_USER_AGENT=UA)
    client.force_login(people["admin"])
    start_here()
    return client


def member_post(client, username, password):
    return client.post(SESSION, {"username": username, "password": password}, content_type="application/json")


def assert_from_test_client(entry):
    assert entry.ip_address == "127.0.0.1"
    assert entry.user_agent == UA[:200]


def test_admin_log_in_and_log_out(people):
    client = Client(HTTP_USER_AGENT=UA)
    response = client.post("/admin/login/", {"username": "editor", "password": PASSWORD})
    assert response.status_code == 302
    entry = only_entry(Action.LOGIN)
    assert (entry.actor_id, entry.actor_username, entry.label) == (people["editor"].pk, "editor", "登录成功")
    assert entry.details == {"channel": "admin"}
    assert_from_test_client(entry)

    client.post("/admin/logout/")
    entry = only_entry(Action.LOGOUT)
    assert (entry.actor_username, entry.details) == ("editor", {"channel": "admin"})


def test_member_api_log_in_log_out_and_a_failure(people):
    client = Client(HTTP_USER_AGENT=UA)
    assert member_post(client, "member", "wrong-Secret-9").status_code == 400
    failed = only_entry(Action.LOGIN_FAILED)
    assert (failed.actor_id, failed.actor_username, failed.object_repr) == (None, "", "member")
    assert failed.details == {"username": "member", "channel": "member_api", "refused_while_locked": False}
    assert_from_test_client(failed)

    assert member_post(client, "member", PASSWORD).status_code == 200
    entry = only_entry(Action.LOGIN)
    assert (entry.actor_username, entry.details) == ("member", {"channel": "member_api"})
    assert client.delete(SESSION).status_code == 204
    assert only_entry(Action.LOGOUT).actor_username == "member"
    # Neither the wrong password nor the right one is anywhere in the log.
    for row in AuditEntry.objects.values():
        assert "wrong-Secret-9" not in str(row) and PASSWORD not in str(row)


def test_forwarded_address_counts_only_behind_a_trusted_proxy(people, settings):
    client = Client(HTTP_X_FORWARDED_FOR="203.0.113.7")
    member_post(client, "member", "wrong")
    assert only_entry(Action.LOGIN_FAILED).ip_address == "127.0.0.1"  # TRUSTED_PROXIES=0: ignored
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    member_post(client, "nobody", "wrong")
    assert entries(Action.LOGIN_FAILED)[-1].ip_address == "203.0.113.7"


def test_five_failures_lock_out_once_and_the_unlock_is_recorded(people, admin_client):
    for _ in range(5):
        member_post(Client(), "member", "wrong")
    locked = only_entry(Action.LOCKED_OUT)
    assert (locked.object_repr, locked.details["username"], locked.ip_address) == ("member", "member", "127.0.0.1")
    assert len(entries(Action.LOGIN_FAILED)) == 5
    # Trying again while locked is one more failure, not another lock-out.
    assert member_post(Client(), "member", PASSWORD).status_code == 429
    assert len(entries(Action.LOCKED_OUT)) == 1
    assert entries(Action.LOGIN_FAILED)[-1].details["refused_while_locked"] is True

    admin_client.post(reverse("accounts_lockouts"), {"kind": "username", "value": "member"})
    unlocked = only_entry(Action.UNLOCKED)
    assert (unlocked.actor_username, unlocked.object_repr) == ("admin1", "member")
    assert unlocked.details["kind"] == "username" and unlocked.details["records_removed"] >= 1
    assert_from_test_client(unlocked)
    assert member_post(Client(), "member", PASSWORD).status_code == 200


def _form_data(page, form):
    data = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "select":
            data[name] = [o.get("value", o.get_text()) for o in field.select("option[selected]")]
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data.setdefault(name, []).append(field.get("value", "on"))
        elif field.get("type") not in ("submit", "button", "file"):
            data[name] = field.get("value", "") if field.name == "input" else field.get_text()
    return data


def test_adding_a_user_to_a_group_in_the_admin_user_form(people, admin_client):
    from django.contrib.auth.models import Group

    target = people["editor"]
    url = reverse("wagtailusers_users:edit", args=[target.pk])
    page = soup(admin_client.get(url))
    form = next(f for f in page.select("form") if f.select("[name=groups]"))
    data = _form_data(page, form)
    reviewer_group = Group.objects.get(name="审核")
    data["groups"] = [*data.get("groups", []), str(reviewer_group.pk)]
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert target.groups.filter(name="审核").exists()

    entry = only_entry(Action.GROUP_JOINED)
    assert (entry.actor_username, entry.object_type, entry.object_id) == ("admin1", "user", str(target.pk))
    assert entry.details == {"group": "审核"}
    assert_from_test_client(entry)
    assert entries(Action.GROUP_LEFT) == [] and entries(Action.ACCOUNT_FLAGS) == []

    # Taking the group away again, and making the account a superuser.
    data["groups"] = [g for g in data["groups"] if g != str(reviewer_group.pk)]
    data["is_superuser"] = ["on"]
    admin_client.post(url, data)
    assert only_entry(Action.GROUP_LEFT).details == {"group": "审核"}
    assert only_entry(Action.ACCOUNT_FLAGS).details == {"is_superuser": [False, True]}


def test_wagtail_group_page_permission_edit_is_one_entry(people, admin_client, home):
    from django.contrib.auth.models import Group
    from wagtail.models import GroupPagePermission

    admin = people["admin"]
    admin.is_superuser = True  # editing groups needs auth.change_group
    admin.save()
    start_here()
    group = Group.objects.get(name=EDITOR)
    url = reverse("wagtailusers_groups:edit", args=[group.pk])
    page = soup(admin_client.get(url))
    form = next(f for f in page.select("form") if f.select("[name=name]"))
    data = _form_data(page, form)
    # Add 发布 to the group's permissions on the home page (the row whose page is home).
    row = next(
        key[: -len("-page")]
        for key, value in data.items()
        if key.startswith("page_permissions-") and key.endswith("-page") and value == str(home.pk)
    )
    data[f"{row}-permissions"] = [*data[f"{row}-permissions"], "publish_page"]
    before = AuditEntry.objects.count()
    response = admin_client.post(url, data)
    assert response.status_code == 302, error_texts(response)
    assert GroupPagePermission.objects.filter(group=group, permission__codename="publish_page").exists()
    entry = only_entry(Action.GROUP_PAGE_PERMISSIONS)
    assert entry.details == {"added": [f"页面「{home.title}」: publish_page"], "removed": []}
    assert entry.object_repr == EDITOR and entry.actor_username == "admin1"
    assert AuditEntry.objects.count() == before + 1


def test_publishing_and_unpublishing_a_page_in_the_admin(people, admin_client, home):
    section = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    start_here()
    url = reverse("wagtailadmin_pages:add", args=("openness", "newspage", section.pk))
    response = admin_client.post(
        url,
        nested_form_data(
            {
                "title": "支部召开组织生活会",
                "slug": "meeting",
                "date": "2026-11-26",
                "summary": "摘要",
                "tags": "",
                "issuing_unit": "",
                "body": streamfield([("paragraph", rich_text("<p>正文</p>"))]),
                "action-publish": "发布",
            }
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    from cms.openness.models import NewsPage

    page = NewsPage.objects.get(slug="meeting")
    assert page.live
    entry = only_entry(Action.PAGE_PUBLISHED)
    assert (entry.actor_username, entry.object_type, entry.object_id, entry.object_repr) == (
        "admin1",
        "page",
        str(page.pk),
        "支部召开组织生活会",
    )
    assert entry.details["revision"] == page.live_revision_id
    assert_from_test_client(entry)

    admin_client.post(reverse("wagtailadmin_pages:unpublish", args=[page.pk]))
    page.refresh_from_db()
    assert not page.live
    entry = only_entry(Action.PAGE_UNPUBLISHED)
    assert (entry.actor_username, entry.object_id) == ("admin1", str(page.pk))


def test_publishing_outside_a_request_names_wagtails_user(people, home):
    page = NewsPageFactory(parent=SectionPageFactory(parent=home, slug="news"), title="脚本发布", publish=False)
    start_here()
    page.save_revision(user=people["editor"]).publish(user=people["admin"])
    entry = only_entry(Action.PAGE_PUBLISHED)
    assert (entry.actor_username, entry.ip_address) == ("admin1", "")


def test_the_progress_export_is_recorded(people, admin_client):
    from tests.factories import CourseFactory, LessonFactory

    course = CourseFactory(title="党章学习")
    LessonFactory(parent=course)
    response = admin_client.get(reverse("study_course_progress_export", args=[course.pk]) + "?state=not_started")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    entry = only_entry(Action.PROGRESS_EXPORTED)
    assert (entry.actor_username, entry.object_type, entry.object_id, entry.object_repr) == (
        "admin1",
        "course",
        str(course.pk),
        "党章学习",
    )
    assert entry.details == {"rows": 1, "filters": {"state": "not_started"}}
    assert_from_test_client(entry)


def test_no_audit_no_export(people, admin_client, audit_down):
    from tests.factories import CourseFactory

    course = CourseFactory(title="党章学习")
    response = admin_client.get(reverse("study_course_progress_export", args=[course.pk]), follow=True)
    assert not response["Content-Type"].startswith("application/vnd.openxml")
    assert "本次导出已取消" in response.content.decode()


def test_the_people_import_is_one_entry(people, admin_client):
    url = reverse("accounts_people_import")
    roster = "姓名,工号,支部,身份\n张三,1001,第一党支部,正式党员\n李四,1002,第一党支部,入党申请人\n".encode()
    admin_client.post(url, {"file": SimpleUploadedFile("名单.csv", roster, content_type="text/csv")})
    assert entries(Action.PEOPLE_IMPORTED) == []  # the check alone changes nothing
    admin_client.post(url, {"confirm": "1"})
    assert Membership.objects.filter(user__username__in=["1001", "1002"]).count() == 2
    entry = only_entry(Action.PEOPLE_IMPORTED)
    assert entry.details == {"created": 2, "updated": 0, "unchanged": 0}
    assert entry.actor_username == "admin1"
    assert_from_test_client(entry)
    assert entries(Action.MEMBER_CREATED) == []  # not one per row
    assert "张三" not in str(entry.details)


def test_editing_a_member_record_in_the_admin(people, admin_client):
    member = people["member"]
    second = OrganisationUnitFactory(name="第二党支部")
    url = reverse("accounts_member_edit", args=[member.membership.pk])
    admin_client.post(
        url, {"organisation": people["branch"].pk, "role": BranchRole.ORGANISATION, "joined_party_on": "2015-07-01"}
    )
    entry = only_entry(Action.MEMBER_CHANGED)
    assert (entry.actor_username, entry.object_type, entry.object_id, entry.object_repr) == (
        "admin1",
        "membership",
        str(member.membership.pk),
        "钱学员（member）",
    )
    assert entry.details == {"role": ["党员", "组织委员"], "joined_party_on": "已修改"}
    assert "2015" not in str(entry.details)
    assert_from_test_client(entry)

    admin_client.post(
        url, {"organisation": second.pk, "role": BranchRole.ORGANISATION, "joined_party_on": "2015-07-01"}
    )
    moved = only_entry(Action.MEMBER_UNIT_CHANGED)
    assert moved.details == {"from": "第一党支部", "to": "第二党支部"}
    assert len(entries(Action.MEMBER_CHANGED)) == 1  # nothing else on the record changed

    admin_client.post(
        reverse("accounts_member_status", args=[member.membership.pk]),
        {"to_status": MemberStatus.TRANSFERRED_OUT, "changed_on": datetime.date.today().isoformat()},
    )
    assert entries(Action.MEMBER_CHANGED)[-1].details == {"status": ["正式党员", "已转出"]}


def test_creating_and_deleting_a_record(people):
    user = UserFactory(username="new", last_name="孙", first_name="新")
    record = MembershipFactory(user=user, status=MemberStatus.APPLICANT)
    created = only_entry(Action.MEMBER_CREATED)
    assert (created.object_repr, created.details) == ("孙新（new）", {"status": "入党申请人", "role": "党员"})
    record_id = record.pk
    record.delete()
    deleted = only_entry(Action.MEMBER_DELETED)
    assert (deleted.object_id, deleted.object_repr) == (str(record_id), "孙新（new）")
    assert verify_chain().ok


def test_a_secretary_appointment_records_the_group_it_grants(people, admin_client):
    member = people["member"]
    admin_client.post(
        reverse("accounts_member_edit", args=[member.membership.pk]),
        {"organisation": people["branch"].pk, "role": BranchRole.SECRETARY, "joined_party_on": ""},
    )
    assert only_entry(Action.GROUP_JOINED).details == {"group": "支部书记"}
    admin_client.post(
        reverse("accounts_member_edit", args=[member.membership.pk]),
        {"organisation": people["branch"].pk, "role": BranchRole.MEMBER, "joined_party_on": ""},
    )
    assert only_entry(Action.GROUP_LEFT).details == {"group": "支部书记"}


def test_site_rollback_switch_is_recorded(people):
    from cms.publishing.models import SiteBuild

    SiteBuild.objects.create(
        kind=SiteBuild.Kind.SWITCH,
        status=SiteBuild.Status.SUCCEEDED,
        actor=people["admin"],
        release="20261201-1",
        commit="abcdef1234567890",
    )
    entry = only_entry(Action.SITE_SWITCHED)
    assert (entry.actor_username, entry.details) == ("admin1", {"release": "20261201-1", "commit": "abcdef123456"})
    build = SiteBuild.objects.create(kind=SiteBuild.Kind.BUILD, status=SiteBuild.Status.SUCCEEDED)
    assert entries(Action.CONTENT_ROLLBACK) == []
    build.kind, build.target = SiteBuild.Kind.CONTENT_ROLLBACK, "1234abcd" * 5
    build.save(update_fields=["kind", "target"])
    assert only_entry(Action.CONTENT_ROLLBACK).details == {"target": "1234abcd1234", "status": "succeeded"}
    build.save(update_fields=["kind"])
    assert len(entries(Action.CONTENT_ROLLBACK)) == 1


def test_entries_of_every_path_form_one_valid_chain(people, admin_client):
    client = Client()
    member_post(client, "member", "wrong")
    member_post(client, "member", PASSWORD)
    client.delete(SESSION)
    admin_client.post(
        reverse("accounts_member_edit", args=[people["member"].membership.pk]),
        {"organisation": people["branch"].pk, "role": BranchRole.SECRETARY, "joined_party_on": ""},
    )
    admin_client.get("/admin/audit/export/")
    kinds = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        Action.LOGIN_FAILED,
        Action.LOGIN,
        Action.LOGOUT,
        Action.MEMBER_CHANGED,
        Action.GROUP_JOINED,
        Action.AUDIT_EXPORTED,
    } <= kinds
    report = verify_chain()
    assert report.ok and report.checked == AuditEntry.objects.count(), report.message()


def test_passwords_set_by_an_administrator_and_by_the_owner(people, admin_client):
    from tests.accounts.test_first_login import CHANGE, INITIAL, NEW, set_password_in_admin

    editor = people["editor"]
    set_password_in_admin(admin_client, editor)
    reset = only_entry(Action.PASSWORD_CHANGED)
    assert (reset.actor_username, reset.object_id, reset.details) == ("admin1", str(editor.pk), {"by_self": False})
    assert "password" not in str(reset.details).replace("by_self", "") and INITIAL not in str(reset.__dict__)

    start_here()
    own = Client(HTTP_USER_AGENT=UA)
    own.post("/admin/login/", {"username": "editor", "password": INITIAL})
    changed = own.post(CHANGE, {"old_password": INITIAL, "new_password": NEW, "new_password_again": NEW})
    assert changed.status_code == 302
    entry = only_entry(Action.PASSWORD_CHANGED)
    assert (entry.actor_username, entry.details) == ("editor", {"by_self": True})
    assert_from_test_client(entry)
    assert NEW not in str(entry.__dict__)


def test_second_factor_enrolment_and_removal(people):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.accounts.test_otp import DEVICES, ENROL, admin_log_in, code

    client = admin_log_in("editor")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=people["editor"])
    client.post(ENROL, {"code": code(device)})
    enrolled = only_entry(Action.OTP_ENROLLED)
    assert (enrolled.actor_username, enrolled.object_id) == ("editor", str(people["editor"].pk))

    admin = admin_log_in("admin1")
    admin.post(DEVICES, {"user": people["editor"].pk})
    removed = only_entry(Action.OTP_REMOVED)
    assert (removed.actor_username, removed.object_id) == ("admin1", str(people["editor"].pk))
