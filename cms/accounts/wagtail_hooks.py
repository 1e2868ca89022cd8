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
    return PeopleImportMenuItem("批量导入人员", reverse("accounts_people_import"), name="people-import",
                                icon_name="upload", order=301)


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
        path("accounts/members/<int:pk>/status/", views_admin.MemberStatusView.as_view(),
             name="accounts_member_status"),
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
