"""One log-in policy for the admin and the member area (django-axes, database handler, so
every app server counts the same failures).

* **Per account**: ``LOGIN_FAILURE_LIMIT`` (5) failed log-ins lock the account for
  ``LOGIN_LOCKOUT_MINUTES`` (15), from wherever they came; even the right password is
  refused meanwhile.
* **Per client**: ``LOGIN_ADDRESS_FAILURE_LIMIT`` (30) failures from one address, over any
  accounts, lock that address. Higher than the account limit on purpose: a whole office
  often reaches the site through one address, and a few colleagues' typos must not lock
  everybody out; guessing many accounts from one machine still stops soon.

A lock-out answers in Chinese (JSON under /api/, a page elsewhere); 管理员 see and lift
locks under 登录锁定 in the admin (``views_admin.LockoutListView``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Sum
from django.dispatch import Signal
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone


def locked_message() -> str:
    return (
        f"登录失败次数过多，该账号（或您所在的网络）已被暂时锁定 {settings.LOGIN_LOCKOUT_MINUTES} 分钟。"
        "请稍后再试，或联系管理员解锁。"
    )


def client_ip(request) -> str:
    """The client's address as the API throttles see it: ``REMOTE_ADDR``, or with
    ``TRUSTED_PROXIES`` = N proxies in front, the address the outermost trusted proxy saw."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR", "")


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked account or address before any password is checked. A call without a
    request (Django's test client, a script in the shell) has no client whose failures could
    be counted and is left to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class LockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a separate, higher limit for the per-address count.

    ``AXES_LOCKOUT_PARAMETERS`` is ``["username", "ip_address"]``, so axes hands us two sets
    of attempts; it locks when ``get_failures`` reaches ``AXES_FAILURE_LIMIT``. The address
    count is moved down by the difference of the two limits, so it reaches the account limit
    exactly when the address has failed ``LOGIN_ADDRESS_FAILURE_LIMIT`` times."""

    def get_failures(self, request, credentials=None) -> int:
        by_account, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        offset = settings.LOGIN_ADDRESS_FAILURE_LIMIT - settings.AXES_FAILURE_LIMIT
        return max(by_account, by_address - offset)

    def user_logged_in(self, sender, request, user, **kwargs):
        # A password log-in of someone with a second factor is only half a log-in: clearing
        # their failures now would let wrong codes be guessed forever, four at a time
        # between fresh log-ins. The count is cleared once the code is right instead.
        from django_otp import user_has_device

        from .otp import is_staff

        request._dj_keep_failures = is_staff(user) and user_has_device(user, confirmed=True)
        return super().user_logged_in(sender, request, user, **kwargs)

    def reset_user_attempts(self, request, credentials=None) -> int:
        if getattr(request, "_dj_keep_failures", False):
            return 0
        return super().reset_user_attempts(request, credentials)


def count_failure(request, username: str) -> None:
    """A wrong secret typed after the password (a second-factor code, the current password
    in a change form) counts like a wrong password: the same lock-out, and the same signal
    the audit log hears for failed log-ins. ``request.axes_locked_out`` is then set when
    this failure reached the limit."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def is_locked(request, username: str) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": username})


def clear_failures(request, username: str) -> int:
    """After the second factor succeeded: what a successful password log-in does for others
    (the account's and this address's failures go)."""
    request._dj_keep_failures = False
    AxesProxyHandler.update_request(request)
    return AxesProxyHandler.get_implementation().reset_user_attempts(request, {"username": username})


def lockout_response(request, original_response=None, credentials=None):
    seconds = settings.LOGIN_LOCKOUT_MINUTES * 60
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": locked_message(), "code": "locked"},
            status=429,
            headers={"Retry-After": str(seconds)},
            json_dumps_params={"ensure_ascii": False},
        )
    response = render(request, "accounts/locked_out.html", {"message": locked_message()}, status=429)
    response["Retry-After"] = str(seconds)
    return response


@dataclass(frozen=True)
class Lock:
    kind: str  # "username" | "ip_address"
    value: str
    failures: int
    last_attempt: dt.datetime

    @property
    def until(self) -> dt.datetime:
        return self.last_attempt + dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def current_locks() -> list[Lock]:
    """Accounts and addresses locked now, newest first."""
    since = timezone.now() - dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    locks = []
    for kind, limit in (
        ("username", settings.AXES_FAILURE_LIMIT),
        ("ip_address", settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    ):
        rows = (
            recent.exclude(**{kind: None})
            .values(kind)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
        )
        locks += [Lock(kind, row[kind], row["failures"], row["last"]) for row in rows]
    return sorted(locks, key=lambda lock: lock.last_attempt, reverse=True)


#: Sent after an administrator lifted a lock (``kind``, ``value``, ``removed``: records gone);
#: the audit log records it (cms/audit/signals.py).
unlocked = Signal()


def unlock(kind: str, value: str) -> int:
    """Forget the failures of an account or an address; returns how many records went."""
    if kind == "username":
        removed = reset(username=value)
    elif kind == "ip_address":
        removed = reset(ip=value)
    else:
        raise ValueError(kind)
    unlocked.send(sender=AccessAttempt, kind=kind, value=value, removed=removed)
    return removed
