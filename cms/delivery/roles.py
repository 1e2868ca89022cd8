"""推送管理: staff of the committee office (党委办公室) who manage the push channels beside
管理员; members are added by 管理员 in 设置 › 用户 (created by ``cms.bootstrap.roles.setup_roles``).
Branch secretaries need no group: they see their own units' channels and log through their
member record (``cms.accounts.selectors.scope_of``)."""

from __future__ import annotations

from django.contrib.auth.models import Group

from cms.accounts.roles import permission

CHANNEL_MANAGER = "推送管理"


def channel_manager_group() -> Group:
    group, _ = Group.objects.get_or_create(name=CHANNEL_MANAGER)
    group.permissions.add(permission("wagtailadmin", "access_admin"))
    return group


def setup() -> dict[str, Group]:
    return {CHANNEL_MANAGER: channel_manager_group()}
