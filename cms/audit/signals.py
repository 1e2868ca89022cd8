"""Every audit receiver, in one place (connected by ``AuditConfig.ready``).

Explicit ``services.record`` calls exist only where nothing sends a signal: lifting a
lock-out (``accounts.views_admin.LockoutListView``), the people import
(``accounts.services.import_people``), the progress export and this app's own export.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from . import context
from .models import Action
from .services import record

_FLAG_FIELDS = ("is_superuser", "is_staff", "is_active")


def _person_repr(user) -> str:
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{name}（{user.get_username()}）" if name else user.get_username()


def _channel(request) -> str:
    return "member_api" if request is not None and request.path.startswith("/api/") else "admin"


# Log-in, log-out, failures, lock-outs --------------------------------------------------------

def on_logged_in(sender, request, user, **kwargs):
    record(Action.LOGIN, actor=user, request=request, obj=user, object_type="user",
           object_repr=_person_repr(user), details={"channel": _channel(request)})


def on_logged_out(sender, request, user, **kwargs):
    if user is None:  # logging out without a session
        return
    record(Action.LOGOUT, actor=user, request=request, obj=user, object_type="user",
           object_repr=_person_repr(user), details={"channel": _channel(request)})


def on_login_failed(sender, credentials, request=None, **kwargs):
    # Only the attempted user name: Django hands receivers the credentials with the password
    # masked, and even that is not kept.
    username = str((credentials or {}).get("username") or "")[:150]
    # Runs before axes' receiver (cms.audit precedes axes in INSTALLED_APPS): here
    # ``axes_locked_out`` is set only when the backend refused an account already locked.
    already_locked = bool(getattr(request, "axes_locked_out", False))
    if request is not None:
        request._audit_already_locked = already_locked
    record(Action.LOGIN_FAILED, actor=None, request=request if request is not None else None,
           object_type="user", object_repr=username,
           details={"username": username, "channel": _channel(request), "refused_while_locked": already_locked})


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    # axes sends this on the failure that locks and again for every attempt while locked:
    # only the first is a lock-out (the later ones are failed log-ins "refused_while_locked").
    if getattr(request, "_audit_already_locked", False):
        return
    record(Action.LOCKED_OUT, actor=None, request=request, object_type="user", object_repr=username or "",
           details={"username": username or "", "failures": getattr(request, "axes_failures_since_start", None)})


# Roles and permissions -----------------------------------------------------------------------

def _group_names(ids) -> dict[int, str]:
    return dict(Group.objects.filter(pk__in=ids).values_list("pk", "name"))


def on_user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Joining a group, either way round (``user.groups.add``, ``group.user_set.add``).
    Leaving is recorded per removed row by ``on_user_group_row_deleted``: ``remove``,
    ``clear``, ``set`` and a plain delete of the rows (``sync_secretary_group``) all end there."""
    if action != "post_add" or not pk_set:
        return
    User = get_user_model()
    if reverse:  # instance is the Group, pk_set users
        for user in User.objects.filter(pk__in=pk_set):
            record(Action.GROUP_JOINED, obj=user, object_type="user", object_repr=_person_repr(user),
                   details={"group": instance.name})
    else:
        names = _group_names(pk_set)
        for pk in sorted(pk_set):
            record(Action.GROUP_JOINED, obj=instance, object_type="user", object_repr=_person_repr(instance),
                   details={"group": names.get(pk, str(pk))})


def on_user_group_row_deleted(sender, instance, **kwargs):
    User = get_user_model()
    user = User.objects.filter(pk=instance.user_id).first()
    group = Group.objects.filter(pk=instance.group_id).values_list("name", flat=True).first()
    record(Action.GROUP_LEFT, object_type="user", object_id=instance.user_id,
           object_repr=_person_repr(user) if user else str(instance.user_id),
           details={"group": group or str(instance.group_id)})


def _permission_codes(ids) -> list[str]:
    return sorted(f"{app}.{code}" for app, code in
                  Permission.objects.filter(pk__in=ids).values_list("content_type__app_label", "codename"))


def _permissions_changed(action_code, owner_type):
    """m2m_changed receiver for ``Group.permissions`` / ``User.user_permissions``."""
    def receiver(sender, instance, action, reverse, pk_set, **kwargs):
        if reverse:  # permission.group_set.add(...): rare; one entry per owner
            model = Group if owner_type == "group" else get_user_model()
            owners = model.objects.filter(pk__in=pk_set or ())
            codes = _permission_codes([instance.pk])
            for owner in owners:
                _record_permissions(action_code, owner_type, owner, action, codes)
            return
        if action == "pre_clear":
            field = instance.permissions if owner_type == "group" else instance.user_permissions
            instance._audit_cleared = list(field.values_list("pk", flat=True))
            return
        if action == "post_clear":
            codes = _permission_codes(getattr(instance, "_audit_cleared", []))
            _record_permissions(action_code, owner_type, instance, "post_remove", codes)
            return
        if action in ("post_add", "post_remove") and pk_set:
            _record_permissions(action_code, owner_type, instance, action, _permission_codes(pk_set))
    return receiver


def _record_permissions(action_code, owner_type, owner, action, codes):
    if not codes:
        return
    key = "added" if action == "post_add" else "removed"
    record(action_code, obj=owner, object_type=owner_type,
           object_repr=owner.name if owner_type == "group" else _person_repr(owner), details={key: codes})


def on_user_pre_save(sender, instance, update_fields=None, raw=False, **kwargs):
    watched = {*_FLAG_FIELDS, "organisation"}
    if raw or instance.pk is None or (update_fields is not None and not watched & set(update_fields)):
        instance._audit_old = None
        return
    instance._audit_old = sender.objects.filter(pk=instance.pk).values(*_FLAG_FIELDS, "organisation_id").first()


def on_user_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    old = getattr(instance, "_audit_old", None)
    instance._audit_old = None
    if created:
        flags = {field: [None, True] for field in ("is_superuser", "is_staff") if getattr(instance, field)}
        if flags:
            record(Action.ACCOUNT_FLAGS, obj=instance, object_type="user", object_repr=_person_repr(instance),
                   details=flags)
        return
    if old is None:
        return
    flags = {field: [old[field], getattr(instance, field)] for field in _FLAG_FIELDS
             if old[field] != getattr(instance, field)}
    if flags:
        record(Action.ACCOUNT_FLAGS, obj=instance, object_type="user", object_repr=_person_repr(instance),
               details=flags)
    if old["organisation_id"] != instance.organisation_id:
        from cms.accounts.models import OrganisationUnit

        names = dict(OrganisationUnit.objects.filter(
            pk__in=[old["organisation_id"], instance.organisation_id]).values_list("pk", "name"))
        record(Action.MEMBER_UNIT_CHANGED, obj=instance, object_type="user", object_repr=_person_repr(instance),
               details={"from": names.get(old["organisation_id"], ""), "to": names.get(instance.organisation_id, "")})


def on_user_deleted(sender, instance, **kwargs):
    record(Action.ACCOUNT_DELETED, object_type="user", object_id=instance.pk, object_repr=_person_repr(instance))


def on_group_deleted(sender, instance, **kwargs):
    record(Action.GROUP_DELETED, object_type="group", object_id=instance.pk, object_repr=instance.name)


# Wagtail's page and collection permissions of a group ----------------------------------------
# Wagtail's group editor saves them with bulk_create (no signal) after saving the group, so
# during a request the group's permissions are snapshotted when the group is saved and
# compared when the response is ready (context.AuditContextMiddleware): one entry per edit.
# Outside a request (setup_roles, the shell) each added or removed row is one entry.

def _object_permissions(group_id) -> set[str]:
    from wagtail.models import GroupCollectionPermission, GroupPagePermission

    pages = {f"页面「{title}」: {code}" for title, code in GroupPagePermission.objects.filter(
        group_id=group_id).values_list("page__title", "permission__codename")}
    collections = {f"文件夹「{name}」: {code}" for name, code in GroupCollectionPermission.objects.filter(
        group_id=group_id).values_list("collection__name", "permission__codename")}
    return pages | collections


def _snapshots(request) -> dict:
    if not hasattr(request, "_audit_group_snapshots"):
        request._audit_group_snapshots = {}
    return request._audit_group_snapshots


def on_group_saved(sender, instance, created, raw=False, **kwargs):
    request = context.current_request()
    if raw or request is None:
        return
    _snapshots(request).setdefault(instance.pk, set() if created else _object_permissions(instance.pk))


def flush_group_snapshots(request) -> None:
    snapshots = getattr(request, "_audit_group_snapshots", None)
    if not snapshots:
        return
    request._audit_group_snapshots = {}
    for group in Group.objects.filter(pk__in=list(snapshots)):
        before, after = snapshots[group.pk], _object_permissions(group.pk)
        if before != after:
            record(Action.GROUP_PAGE_PERMISSIONS, obj=group, object_type="group", object_repr=group.name,
                   request=request, details={"added": sorted(after - before), "removed": sorted(before - after)})


def _object_permission_row(kind):
    def receiver(sender, instance, created=True, raw=False, **kwargs):
        request = context.current_request()
        if raw or (request is not None and instance.group_id in getattr(request, "_audit_group_snapshots", {})):
            return
        if kwargs.get("signal") is post_save and not created:
            return
        target = instance.page.title if kind == "page" else instance.collection.name
        label = f"{'页面' if kind == 'page' else '文件夹'}「{target}」: {instance.permission.codename}"
        group = Group.objects.filter(pk=instance.group_id).first()
        key = "added" if kwargs.get("signal") is post_save else "removed"
        record(Action.GROUP_PAGE_PERMISSIONS, object_type="group", object_id=instance.group_id,
               object_repr=group.name if group else str(instance.group_id), details={key: [label]})
    return receiver


# Publishing and rollback ---------------------------------------------------------------------

def on_page_published(sender, instance, revision=None, **kwargs):
    record(Action.PAGE_PUBLISHED, obj=instance, object_type="page", object_repr=instance.title,
           details={"revision": getattr(revision, "pk", None), "url_path": instance.url_path})


def on_page_unpublished(sender, instance, **kwargs):
    record(Action.PAGE_UNPUBLISHED, obj=instance, object_type="page", object_repr=instance.title,
           details={"url_path": instance.url_path})


def on_build_pre_save(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None or (update_fields is not None and "kind" not in update_fields):
        instance._audit_old_kind = None if instance.pk is None else instance.kind
        return
    instance._audit_old_kind = sender.objects.filter(pk=instance.pk).values_list("kind", flat=True).first()


def on_build_saved(sender, instance, created, raw=False, **kwargs):
    """A switch to a kept release is created as such; a content rollback is created queued
    (admin) or becomes one when ``manage.py site_rollback`` finishes its build."""
    if raw:
        return
    old_kind = None if created else getattr(instance, "_audit_old_kind", instance.kind)
    if old_kind == instance.kind:
        return
    actor = instance.actor if instance.actor_id else None
    if instance.kind == sender.Kind.SWITCH:
        record(Action.SITE_SWITCHED, actor=actor, obj=instance, object_type="sitebuild",
               object_repr=f"版本 {instance.release}", details={"release": instance.release,
                                                                "commit": instance.commit[:12]})
    elif instance.kind == sender.Kind.CONTENT_ROLLBACK:
        record(Action.CONTENT_ROLLBACK, actor=actor, obj=instance, object_type="sitebuild",
               object_repr=f"回滚到提交 {instance.target[:8]}",
               details={"target": instance.target[:12], "status": instance.status})


# Member records ------------------------------------------------------------------------------

_MEMBER_FIELDS = ("status", "role", "joined_party_on")


def on_membership_pre_save(sender, instance, raw=False, **kwargs):
    instance._audit_old = None if raw or instance.pk is None else (
        sender.objects.filter(pk=instance.pk).values(*_MEMBER_FIELDS).first())


def _member_repr(membership) -> str:
    try:
        return _person_repr(membership.user)
    except Exception:  # the person is being deleted with the record
        return f"党员档案 {membership.pk}"



def on_membership_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    from cms.accounts.models import BranchRole, MemberStatus

    if created:
        record(Action.MEMBER_CREATED, obj=instance, object_type="membership", object_repr=_member_repr(instance),
               details={"status": MemberStatus(instance.status).label, "role": BranchRole(instance.role).label})
        return
    old = getattr(instance, "_audit_old", None)
    if old is None:
        return
    changes = {}
    for field, choices in (("status", MemberStatus), ("role", BranchRole)):
        if old[field] != getattr(instance, field):
            changes[field] = [choices(old[field]).label if old[field] in choices.values else old[field],
                              choices(getattr(instance, field)).label]
    if old["joined_party_on"] != instance.joined_party_on:
        changes["joined_party_on"] = "已修改"  # that it changed, not the dates themselves
    if changes:
        record(Action.MEMBER_CHANGED, obj=instance, object_type="membership", object_repr=_member_repr(instance),
               details=changes)


def on_membership_deleted(sender, instance, **kwargs):
    record(Action.MEMBER_DELETED, object_type="membership", object_id=instance.pk,
           object_repr=_member_repr(instance))


def connect() -> None:
    from axes.signals import user_locked_out
    from wagtail.models import GroupCollectionPermission, GroupPagePermission
    from wagtail.signals import page_published, page_unpublished

    from cms.accounts.models import Membership
    from cms.publishing.models import SiteBuild

    User = get_user_model()
    uid = "audit_"
    user_logged_in.connect(on_logged_in, dispatch_uid=uid + "logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid=uid + "logged_out")
    user_login_failed.connect(on_login_failed, dispatch_uid=uid + "login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid=uid + "locked_out")

    m2m_changed.connect(on_user_groups_changed, sender=User.groups.through, dispatch_uid=uid + "groups")
    post_delete.connect(on_user_group_row_deleted, sender=User.groups.through, dispatch_uid=uid + "group_row")
    m2m_changed.connect(_permissions_changed(Action.GROUP_PERMISSIONS, "group"), sender=Group.permissions.through,
                        dispatch_uid=uid + "group_perms", weak=False)
    m2m_changed.connect(_permissions_changed(Action.USER_PERMISSIONS, "user"),
                        sender=User.user_permissions.through, dispatch_uid=uid + "user_perms", weak=False)
    pre_save.connect(on_user_pre_save, sender=User, dispatch_uid=uid + "user_pre")
    post_save.connect(on_user_saved, sender=User, dispatch_uid=uid + "user_post")
    post_delete.connect(on_user_deleted, sender=User, dispatch_uid=uid + "user_deleted")
    post_save.connect(on_group_saved, sender=Group, dispatch_uid=uid + "group_saved")
    post_delete.connect(on_group_deleted, sender=Group, dispatch_uid=uid + "group_deleted")
    for model, kind in ((GroupPagePermission, "page"), (GroupCollectionPermission, "collection")):
        receiver = _object_permission_row(kind)
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}{kind}_perm_saved", weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}{kind}_perm_deleted", weak=False)

    page_published.connect(on_page_published, dispatch_uid=uid + "published")
    page_unpublished.connect(on_page_unpublished, dispatch_uid=uid + "unpublished")
    pre_save.connect(on_build_pre_save, sender=SiteBuild, dispatch_uid=uid + "build_pre")
    post_save.connect(on_build_saved, sender=SiteBuild, dispatch_uid=uid + "build_post")

    pre_save.connect(on_membership_pre_save, sender=Membership, dispatch_uid=uid + "member_pre")
    post_save.connect(on_membership_saved, sender=Membership, dispatch_uid=uid + "member_post")
    post_delete.connect(on_membership_deleted, sender=Membership, dispatch_uid=uid + "member_deleted")
