from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import selectors, views_admin
from .models import OrganisationUnit


class OrganisationUnitViewSet(SnippetViewSet):
    model = OrganisationUnit
    icon = "group"
    menu_label = "党组织"
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["name", "kind", "parent", "sort_order"]
    list_filter = ["kind"]
    search_fields = ["name"]


register_snippet(OrganisationUnitViewSet)


@hooks.register("register_admin_urls")
def register_people_import_urls():
    return [path("accounts/import-people/", views_admin.PeopleImportView.as_view(), name="accounts_people_import")]


class PeopleImportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("accounts.import_people")


@hooks.register("register_admin_menu_item")
def register_people_import_menu_item():
    return PeopleImportMenuItem(
        "批量导入人员", reverse("accounts_people_import"), name="people-import", icon_name="upload", order=301
    )


# 党员档案: plain views rather than a ModelViewSet, because every one of them is scoped to the
# viewer's units, the edit form spans two models (User.organisation and Membership), the 身份
# changes only through change_status, and records are never added or deleted here (the import
# does that) — a viewset would need most of its parts switched off or replaced.
@hooks.register("register_admin_urls")
def register_member_urls():
    return [
        path("accounts/members/", views_admin.MemberListView.as_view(), name="accounts_members"),
        path("accounts/members/<int:pk>/", views_admin.MemberDetailView.as_view(), name="accounts_member"),
        path("accounts/members/<int:pk>/edit/", views_admin.MemberEditView.as_view(), name="accounts_member_edit"),
        path(
            "accounts/members/<int:pk>/status/", views_admin.MemberStatusView.as_view(), name="accounts_member_status"
        ),
    ]


class MembersMenuItem(MenuItem):
    def is_shown(self, request):
        return selectors.can_manage_members(request.user)


@hooks.register("register_admin_menu_item")
def register_members_menu_item():
    return MembersMenuItem("党员档案", reverse("accounts_members"), name="members", icon_name="user", order=302)


@hooks.register("register_admin_urls")
def register_lockout_urls():
    return [path("accounts/lockouts/", views_admin.LockoutListView.as_view(), name="accounts_lockouts")]


class LockoutMenuItem(MenuItem):
    def is_shown(self, request):
        return selectors.is_administrator(request.user)


@hooks.register("register_admin_menu_item")
def register_lockout_menu_item():
    return LockoutMenuItem("登录锁定", reverse("accounts_lockouts"), name="lockouts", icon_name="lock", order=303)


# Log-in steps and the second factor (first_login.py, otp.py, views_auth.py) ---------------------


@hooks.register("register_admin_urls")
def register_auth_urls():
    from . import views_auth

    return [
        path("account/initial-password/", views_auth.InitialPasswordView.as_view(), name="accounts_initial_password"),
        path("account/otp/verify/", views_auth.OTPVerifyView.as_view(), name="accounts_otp_verify"),
        path("account/otp/", views_auth.OTPEnrolView.as_view(), name="accounts_otp_enrol"),
        path("accounts/otp-devices/", views_auth.OTPDeviceListView.as_view(), name="accounts_otp_devices"),
    ]


@hooks.register("register_account_menu_item")
def register_otp_account_menu_item(request):
    return {
        "url": reverse("accounts_otp_enrol"),
        "label": "双重验证",
        "help_text": "登录后台时，除密码外再输入手机身份验证器上的 6 位验证码。",
    }


class OTPDevicesMenuItem(MenuItem):
    def is_shown(self, request):
        return selectors.is_administrator(request.user)


@hooks.register("register_admin_menu_item")
def register_otp_devices_menu_item():
    return OTPDevicesMenuItem(
        "双重验证设备", reverse("accounts_otp_devices"), name="otp-devices", icon_name="key", order=304
    )


# A password an administrator types for somebody else is an initial password: its owner must
# replace it at the next log-in (first_login.py). Creating an account always sets one; an
# edit does when the password fields were filled in for another person.
@hooks.register("after_create_user")
def initial_password_on_create(request, user):
    from .first_login import mark_initial_password

    if user.has_usable_password():
        mark_initial_password(user)


@hooks.register("after_edit_user")
def initial_password_on_reset(request, user):
    from .first_login import mark_initial_password

    if request.POST.get("password1") and user.pk != request.user.pk:
        mark_initial_password(user)
