"""The request being served, for entries recorded deep inside services and signal receivers
(who did it, from which address, with which browser) without passing the request around."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

_request: contextvars.ContextVar = contextvars.ContextVar("audit_request", default=None)
#: Actions not recorded one by one inside ``suppress`` (a bulk import records one entry).
_suppressed: contextvars.ContextVar = contextvars.ContextVar("audit_suppressed", default=frozenset())


def current_request():
    return _request.get()


@contextmanager
def suppress(actions):
    token = _suppressed.set(_suppressed.get() | frozenset(actions))
    try:
        yield
    finally:
        _suppressed.reset(token)


def is_suppressed(action: str) -> bool:
    return action in _suppressed.get()


class AuditContextMiddleware:
    """Remembers the request for the audit log, and after the view records the permission
    edits it collected (a Wagtail group edit saves page and collection permissions with
    ``bulk_create``, which sends no signal: ``signals`` snapshots them before and compares
    here, one entry per edited group)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request.set(request)
        try:
            response = self.get_response(request)
            from .signals import flush_group_snapshots

            flush_group_snapshots(request)
            return response
        finally:
            _request.reset(token)
