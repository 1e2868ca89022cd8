"""The open answer sheets a member's session keeps, so that saving an answer need not read
the attempt again.

An attempt's questions (with their shuffled options) and its deadline never change once it
is drawn, and the session row is read on every request anyway: the answer sheet a member
starts or resumes is kept in their session (server side, like the rest of it; the browser
holds only the session key), and each answer save takes it from there instead of a second
round trip to the database. Whether the attempt is still open is decided by the save's own
statement (``services.save_answer``). A sheet that is missing, evicted or from another
person is simply read from the database, so keeping one is only ever a saving."""

from __future__ import annotations

import datetime

from django.db import DEFAULT_DB_ALIAS
from django.utils.dateparse import parse_datetime

from cms.accounts.models import User

from .models import Attempt

SESSION_KEY = "assessment_open_sheets"
#: One per kind of attempt a member may have open at once (a quiz, a contest, the daily
#: practice, weak-point and notebook practice): the oldest makes way.
KEPT = 5


def keep(session, attempt: Attempt) -> None:
    """Remember the person's attempt while it is open (a session write only when it changes)."""
    if attempt.submitted:
        return
    sheets = dict(session.get(SESSION_KEY) or {})
    key = str(attempt.pk)
    entry = [attempt.user_id, attempt.items, attempt.deadline.isoformat() if attempt.deadline else None]
    if sheets.get(key) == entry:
        return
    sheets.pop(key, None)
    sheets[key] = entry  # the newest last: dicts keep their order through JSON
    while len(sheets) > KEPT:
        del sheets[next(iter(sheets))]
    session[SESSION_KEY] = sheets


def kept(session, user: User, attempt_id: int) -> Attempt | None:
    """The person's attempt as their session kept it (only its questions and deadline are
    known: ``submitted_at`` is not), or None."""
    entry = (session.get(SESSION_KEY) or {}).get(str(attempt_id))
    if not entry or len(entry) != 3 or entry[0] != user.pk:
        return None
    _, items, deadline = entry
    values = {"id": attempt_id, "user_id": user.pk, "items": items, "deadline": _moment(deadline), "submitted_at": None}
    # As a partly loaded row: the other fields are deferred, not given defaults.
    names = [field.attname for field in Attempt._meta.concrete_fields if field.attname in values]
    return Attempt.from_db(DEFAULT_DB_ALIAS, names, [values[name] for name in names])


def _moment(text: str | None) -> datetime.datetime | None:
    return parse_datetime(text) if text else None
