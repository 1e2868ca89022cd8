"""Every audit receiver, in one place (connected by ``AuditConfig.ready``).

The audit app sits above ``accounts``: accounts never imports it, it sends signals instead
(log-in, OTP devices, lifting a lock-out: ``lockout.unlocked``, the people import:
``services.people_imported``), which are recorded here. The apps above (study, feedback,
consultations) call ``services.record`` where nothing sends a signal (the progress export,
form results); so does this app's own export.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from . import context
from .models import Action
from .services import record

_FLAG_FIELDS = ("is_superuser", "is_staff", "is_active")


def _person_repr(user) -> str:
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{name}（{user.get_username()}）" if name else user.get_username()


def _channel(request) -> str:
    return "member_api" if request is not None and request.path.startswith("/api/") else "admin"


def _record_row(action: str, **entry) -> None:
    """A member or password entry, skipped while a people import writes (the import is
    recorded as one entry by ``on_people_imported``)."""
    from cms.accounts.services import importing_people

    if not importing_people():
        record(action, **entry)


def on_people_imported(sender, report, by=None, **kwargs):
    record(
        Action.PEOPLE_IMPORTED,
        **({"actor": by} if by is not None else {}),
        object_type="people_import",
        object_repr="批量导入人员",
        details={"created": report.to_create, "updated": report.to_update, "unchanged": report.unchanged},
    )


def on_unlocked(sender, kind, value, removed, **kwargs):
    record(
        Action.UNLOCKED,
        object_type="user" if kind == "username" else "ip_address",
        object_repr=value,
        details={"kind": kind, "value": value, "records_removed": removed},
    )


# Log-in, log-out, failures, lock-outs --------------------------------------------------------


def on_logged_in(sender, request, user, **kwargs):
    record(
        Action.LOGIN,
        actor=user,
        request=request,
        obj=user,
        object_type="user",
        object_repr=_person_repr(user),
        details={"channel": _channel(request)},
    )


def on_logged_out(sender, request, user, **kwargs):
    if user is None:  # logging out without a session
        return
    record(
        Action.LOGOUT,
        actor=user,
        request=request,
        obj=user,
        object_type="user",
        object_repr=_person_repr(user),
        details={"channel": _channel(request)},
    )


def on_login_failed(sender, credentials, request=None, **kwargs):
    # Only the attempted user name: Django hands receivers the credentials with the password
    # masked, and even that is not kept.
    username = str((credentials or {}).get("username") or "")[:150]
    record(
        Action.LOGIN_FAILED,
        actor=None,
        request=request,
        object_type="user",
        object_repr=username,
        details={
            "username": username,
            "channel": _channel(request),
            "refused_while_locked": _locked_before(request, credentials),
        },
    )


def _locked_before(request, credentials) -> bool:
    """Was the account or address locked before this failure? Works whether axes' receiver
    (which counts the failure) ran before this one or not."""
    from django.conf import settings

    if request is None or not hasattr(request, "axes_ip_address"):
        return False
    counted = getattr(request, "axes_failures_since_start", None)
    if counted is not None:  # axes has counted this failure already
        return counted > settings.AXES_FAILURE_LIMIT
    from axes.handlers.proxy import AxesProxyHandler

    try:
        return bool(AxesProxyHandler.is_locked(request, credentials))
    except Exception:  # an answer for the audit only; never fail the log-in path
        return False


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    """axes sends this on the failure that locks and again for every failure while locked
    (each one counted: the lock-out runs from the last). Only the failure that reaches the
    limit is a lock-out; the others are failed log-ins with ``refused_while_locked``."""
    from django.conf import settings

    failures = getattr(request, "axes_failures_since_start", None)
    if failures is not None and failures != settings.AXES_FAILURE_LIMIT:
        return
    record(
        Action.LOCKED_OUT,
        actor=None,
        request=request,
        object_type="user",
        object_repr=username or "",
        details={"username": username or "", "failures": failures},
    )


# Roles and permissions -----------------------------------------------------------------------


def _group_names(ids) -> dict[int, str]:
    return dict(Group.objects.filter(pk__in=ids).values_list("pk", "name"))


def _user_group_pairs(instance, reverse, pk_set):
    """(user, group) pairs of an m2m_changed on User.groups, either way round."""
    User = get_user_model()
    if reverse:  # instance is the Group, pk_set users
        return [(user, instance) for user in User.objects.filter(pk__in=pk_set)]
    return [(instance, group) for group in Group.objects.filter(pk__in=pk_set).order_by("pk")]


def on_user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """Joining or leaving a group, either way round (``user.groups.add``,
    ``group.user_set.remove``, ``set``, ``clear``). Django sends no delete signal for the rows
    of an automatic m2m table, so a plain delete of them is caught where it happens
    (``on_membership_pre_change``: the 支部书记 group)."""
    through = sender.objects
    if action == "post_add" and pk_set:
        for user, group in _user_group_pairs(instance, reverse, pk_set):
            record(
                Action.GROUP_JOINED,
                obj=user,
                object_type="user",
                object_repr=_person_repr(user),
                details={"group": group.name},
            )
    elif action == "pre_remove" and pk_set:
        # Only the rows that exist (remove() of a non-member sends the id all the same).
        key = "group_id" if reverse else "user_id"
        other = "user_id" if reverse else "group_id"
        present = set(through.filter(**{key: instance.pk, f"{other}__in": pk_set}).values_list(other, flat=True))
        instance._audit_leaving = _user_group_pairs(instance, reverse, present)
    elif action == "pre_clear":
        field = "user_id" if reverse else "group_id"
        key = "group_id" if reverse else "user_id"
        ids = set(through.filter(**{key: instance.pk}).values_list(field, flat=True))
        instance._audit_leaving = _user_group_pairs(instance, reverse, ids)
    elif action in ("post_remove", "post_clear"):
        for user, group in getattr(instance, "_audit_leaving", []):
            record(
                Action.GROUP_LEFT,
                obj=user,
                object_type="user",
                object_repr=_person_repr(user),
                details={"group": group.name},
            )
        instance._audit_leaving = []


def _permission_codes(ids) -> list[str]:
    return sorted(
        f"{app}.{code}"
        for app, code in Permission.objects.filter(pk__in=ids).values_list("content_type__app_label", "codename")
    )


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
    record(
        action_code,
        obj=owner,
        object_type=owner_type,
        object_repr=owner.name if owner_type == "group" else _person_repr(owner),
        details={key: codes},
    )


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
            record(
                Action.ACCOUNT_FLAGS,
                obj=instance,
                object_type="user",
                object_repr=_person_repr(instance),
                details=flags,
            )
        return
    if old is None:
        return
    flags = {
        field: [old[field], getattr(instance, field)]
        for field in _FLAG_FIELDS
        if old[field] != getattr(instance, field)
    }
    if flags:
        record(
            Action.ACCOUNT_FLAGS, obj=instance, object_type="user", object_repr=_person_repr(instance), details=flags
        )
    if old["organisation_id"] != instance.organisation_id:
        from cms.accounts.models import OrganisationUnit

        names = dict(
            OrganisationUnit.objects.filter(pk__in=[old["organisation_id"], instance.organisation_id]).values_list(
                "pk", "name"
            )
        )
        _record_row(
            Action.MEMBER_UNIT_CHANGED,
            obj=instance,
            object_type="user",
            object_repr=_person_repr(instance),
            details={"from": names.get(old["organisation_id"], ""), "to": names.get(instance.organisation_id, "")},
        )


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

    pages = {
        f"页面「{title}」: {code}"
        for title, code in GroupPagePermission.objects.filter(group_id=group_id).values_list(
            "page__title", "permission__codename"
        )
    }
    collections = {
        f"文件夹「{name}」: {code}"
        for name, code in GroupCollectionPermission.objects.filter(group_id=group_id).values_list(
            "collection__name", "permission__codename"
        )
    }
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
            record(
                Action.GROUP_PAGE_PERMISSIONS,
                obj=group,
                object_type="group",
                object_repr=group.name,
                request=request,
                details={"added": sorted(after - before), "removed": sorted(before - after)},
            )


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
        record(
            Action.GROUP_PAGE_PERMISSIONS,
            object_type="group",
            object_id=instance.group_id,
            object_repr=group.name if group else str(instance.group_id),
            details={key: [label]},
        )

    return receiver


# Publishing and rollback ---------------------------------------------------------------------

#: Wagtail's log entry actions that publish or unpublish a page.
_PAGE_LOG_ACTIONS = {
    "wagtail.publish": (Action.PAGE_PUBLISHED, False),
    "wagtail.publish.scheduled": (Action.PAGE_PUBLISHED, True),
    "wagtail.unpublish": (Action.PAGE_UNPUBLISHED, False),
    "wagtail.unpublish.scheduled": (Action.PAGE_UNPUBLISHED, True),
}


def on_page_log_entry(sender, instance, created, raw=False, **kwargs):
    """Publishing and unpublishing, from Wagtail's own log entry of it rather than the
    ``page_published`` signal: the entry names who did it even outside a request (a script,
    the worker's scheduled publishing), and Wagtail writes it after the signal."""
    if raw or not created or instance.action not in _PAGE_LOG_ACTIONS:
        return
    action, scheduled = _PAGE_LOG_ACTIONS[instance.action]
    page = instance.page
    details = {"revision": instance.revision_id, "url_path": getattr(page, "url_path", "")}
    if scheduled:
        details["scheduled"] = True
    record(
        action,
        actor=instance.user if instance.user_id else None,
        object_type="page",
        object_id=instance.page_id,
        object_repr=getattr(page, "title", "") or instance.label,
        details=details,
    )


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
        record(
            Action.SITE_SWITCHED,
            actor=actor,
            obj=instance,
            object_type="sitebuild",
            object_repr=f"版本 {instance.release}",
            details={"release": instance.release, "commit": instance.commit[:12]},
        )
    elif instance.kind == sender.Kind.CONTENT_ROLLBACK:
        record(
            Action.CONTENT_ROLLBACK,
            actor=actor,
            obj=instance,
            object_type="sitebuild",
            object_repr=f"回滚到提交 {instance.target[:8]}",
            details={"target": instance.target[:12], "status": instance.status},
        )


# Member records ------------------------------------------------------------------------------

_MEMBER_FIELDS = ("status", "role", "joined_party_on")


def _in_secretary_group(user_id) -> bool:
    from cms.accounts.roles import SECRETARY

    return get_user_model().groups.through.objects.filter(user_id=user_id, group__name=SECRETARY).exists()


def on_membership_pre_change(sender, instance, raw=False, **kwargs):
    """Before a record is saved or deleted: its old values, and whether the person is in the
    支部书记 group (``sync_secretary_group`` removes them with a plain delete, which sends
    no signal; ``_secretary_group_left`` compares afterwards)."""
    instance._audit_old = (
        None if raw or instance.pk is None else (sender.objects.filter(pk=instance.pk).values(*_MEMBER_FIELDS).first())
    )
    instance._audit_was_secretary = not raw and _in_secretary_group(instance.user_id)


def _secretary_group_left(instance) -> None:
    from cms.accounts.roles import SECRETARY

    if getattr(instance, "_audit_was_secretary", False) and not _in_secretary_group(instance.user_id):
        user = get_user_model().objects.filter(pk=instance.user_id).first()
        record(
            Action.GROUP_LEFT,
            object_type="user",
            object_id=instance.user_id,
            object_repr=_person_repr(user) if user else str(instance.user_id),
            details={"group": SECRETARY},
        )
    instance._audit_was_secretary = False


def _member_repr(membership) -> str:
    try:
        return _person_repr(membership.user)
    except Exception:  # the person is being deleted with the record
        return f"党员档案 {membership.pk}"


def on_membership_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    _secretary_group_left(instance)
    from cms.accounts.models import BranchRole, MemberStatus

    if created:
        _record_row(
            Action.MEMBER_CREATED,
            obj=instance,
            object_type="membership",
            object_repr=_member_repr(instance),
            details={"status": MemberStatus(instance.status).label, "role": BranchRole(instance.role).label},
        )
        return
    old = getattr(instance, "_audit_old", None)
    if old is None:
        return
    changes = {}
    for field, choices in (("status", MemberStatus), ("role", BranchRole)):
        if old[field] != getattr(instance, field):
            changes[field] = [
                choices(old[field]).label if old[field] in choices.values else old[field],
                choices(getattr(instance, field)).label,
            ]
    if old["joined_party_on"] != instance.joined_party_on:
        changes["joined_party_on"] = "已修改"  # that it changed, not the dates themselves
    if changes:
        _record_row(
            Action.MEMBER_CHANGED,
            obj=instance,
            object_type="membership",
            object_repr=_member_repr(instance),
            details=changes,
        )


def on_membership_deleted(sender, instance, **kwargs):
    _secretary_group_left(instance)
    record(Action.MEMBER_DELETED, object_type="membership", object_id=instance.pk, object_repr=_member_repr(instance))


def on_password_set(sender, instance, created, raw=False, **kwargs):
    """Every password set (own change, administrator's reset, import) leaves a history row
    (accounts.passwords); ``by_self`` tells an owner's change from someone else's."""
    if not created or raw:
        return
    request = context.current_request()
    actor = getattr(request, "user", None)
    _record_row(
        Action.PASSWORD_CHANGED,
        obj=instance.user,
        object_type="user",
        object_repr=_person_repr(instance.user),
        details={"by_self": bool(actor is not None and actor.pk == instance.user_id)},
    )


def on_otp_enrolled(sender, user, request=None, **kwargs):
    record(
        Action.OTP_ENROLLED, actor=user, request=request, obj=user, object_type="user", object_repr=_person_repr(user)
    )


def on_otp_removed(sender, user, by=None, request=None, **kwargs):
    record(Action.OTP_REMOVED, actor=by, request=request, obj=user, object_type="user", object_repr=_person_repr(user))


def connect() -> None:
    from axes.signals import user_locked_out
    from wagtail.models import GroupCollectionPermission, GroupPagePermission, PageLogEntry

    from cms.accounts.lockout import unlocked
    from cms.accounts.models import Membership, PasswordHistory
    from cms.accounts.otp import device_confirmed, device_removed
    from cms.accounts.services import people_imported
    from cms.publishing.models import SiteBuild

    User = get_user_model()
    uid = "audit_"
    user_logged_in.connect(on_logged_in, dispatch_uid=uid + "logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid=uid + "logged_out")
    user_login_failed.connect(on_login_failed, dispatch_uid=uid + "login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid=uid + "locked_out")
    post_save.connect(on_password_set, sender=PasswordHistory, dispatch_uid=uid + "password_set")
    device_confirmed.connect(on_otp_enrolled, dispatch_uid=uid + "otp_enrolled")
    device_removed.connect(on_otp_removed, dispatch_uid=uid + "otp_removed")
    unlocked.connect(on_unlocked, dispatch_uid=uid + "unlocked")
    people_imported.connect(on_people_imported, dispatch_uid=uid + "people_imported")

    m2m_changed.connect(on_user_groups_changed, sender=User.groups.through, dispatch_uid=uid + "groups")
    m2m_changed.connect(
        _permissions_changed(Action.GROUP_PERMISSIONS, "group"),
        sender=Group.permissions.through,
        dispatch_uid=uid + "group_perms",
        weak=False,
    )
    m2m_changed.connect(
        _permissions_changed(Action.USER_PERMISSIONS, "user"),
        sender=User.user_permissions.through,
        dispatch_uid=uid + "user_perms",
        weak=False,
    )
    pre_save.connect(on_user_pre_save, sender=User, dispatch_uid=uid + "user_pre")
    post_save.connect(on_user_saved, sender=User, dispatch_uid=uid + "user_post")
    post_delete.connect(on_user_deleted, sender=User, dispatch_uid=uid + "user_deleted")
    post_save.connect(on_group_saved, sender=Group, dispatch_uid=uid + "group_saved")
    post_delete.connect(on_group_deleted, sender=Group, dispatch_uid=uid + "group_deleted")
    for model, kind in ((GroupPagePermission, "page"), (GroupCollectionPermission, "collection")):
        receiver = _object_permission_row(kind)
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}{kind}_perm_saved", weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}{kind}_perm_deleted", weak=False)

    post_save.connect(on_page_log_entry, sender=PageLogEntry, dispatch_uid=uid + "page_log")
    pre_save.connect(on_build_pre_save, sender=SiteBuild, dispatch_uid=uid + "build_pre")
    post_save.connect(on_build_saved, sender=SiteBuild, dispatch_uid=uid + "build_post")

    pre_save.connect(on_membership_pre_change, sender=Membership, dispatch_uid=uid + "member_pre")
    pre_delete.connect(on_membership_pre_change, sender=Membership, dispatch_uid=uid + "member_pre_delete")
    post_save.connect(on_membership_saved, sender=Membership, dispatch_uid=uid + "member_post")
    post_delete.connect(on_membership_deleted, sender=Membership, dispatch_uid=uid + "member_deleted")
