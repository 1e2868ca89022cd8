"""A whole company answers the same form at once (issue 11, "Proof").

1,000 members (by default) each open the same 20-question member form, save drafts while
they type and submit it, all within one minute, against PostgreSQL and the production app
server (gunicorn with deploy/gunicorn.conf.py and the production settings, as
docs/operations.md deploys it). Each member is a separate client with its own session and
CSRF cookie, going through exactly the requests the member area's page makes
(dj-forms.js): GET session/, GET forms/<id>/, PUT forms/<id>/draft/ a few times, POST
forms/<id>/submit/ with a submission key. Some members resend their submit with the same
key (a retry after a lost answer) and some submit from a second tab with a new key: both must
count once.

Afterwards the database is checked: exactly one response and one participation per member,
each response holding exactly the answers that member sent. Latencies (p50/p95/p99/max) are
reported per request type; the baseline in the same run is GET session/ (the lightest
authenticated request through the same middleware and database): the ratio says what the
form logic costs on top of the framework.

Log-ins are not part of the measured minute: the sessions are created beforehand (a real
company's members log in over the morning; a password hash costs ~0.3 s of CPU by design).

    .venv/bin/python bench/form_submissions.py [--members 1000] [--window 60]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); creates and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_info  # noqa: E402
from bench.http_client import Client, HTTPError  # noqa: E402
from tests.production import Installation  # noqa: E402

PG = "postgres://postgres@127.0.0.1:5432"
BRANCHES = 20

#: Runs inside `manage.py shell` of the installation: people, sessions and the form.
SEED = r"""
import json, random
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from cms.accounts.models import Membership, MemberStatus, OrganisationUnit, User
from cms.core.security import IdleSessionMiddleware
from cms.feedback.models import FeedbackFormPage, FormField
from cms.feedback.services import ensure_forms_root
import time

MEMBERS, BRANCHES = {members}, {branches}
committee, _ = OrganisationUnit.objects.get_or_create(name="基准党委", defaults={{"kind": "committee"}})
branches = [OrganisationUnit.objects.get_or_create(name=f"基准第{{i + 1}}党支部",
            defaults={{"kind": "branch", "parent": committee}})[0] for i in range(BRANCHES)]
password = make_password("Bench-2026-password!")  # one hash for everyone: seeding stays fast
users = User.objects.bulk_create([User(username=f"bench{{i:05d}}", first_name=f"党员{{i}}", password=password,
                                       organisation=branches[i % BRANCHES]) for i in range(MEMBERS)])
users = list(User.objects.filter(username__startswith="bench").order_by("username"))
Membership.objects.bulk_create([Membership(user=u, status=MemberStatus.FULL) for u in users])

kinds = (["radio"] * 8 + ["checkboxes"] * 4 + ["rating"] * 4 + ["singleline"] * 2 + ["multiline"] * 2)
form = FeedbackFormPage(title="2026年度党员满意度调查", slug="bench-survey", kind="satisfaction",
                        intro="请如实填写。", thank_you_text="感谢您的参与。", live=False)
ensure_forms_root().add_child(instance=form)
for order, kind in enumerate(kinds):
    FormField.objects.create(page=form, sort_order=order, label=f"第{{order + 1}}题", field_type=kind,
                             required=True, choices="非常满意\n满意\n一般\n不满意" if kind in ("radio", "checkboxes") else "")
form.save_revision().publish(skip_permission_checks=True)

sessions = []
for user in users:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[IdleSessionMiddleware.KEY] = int(time.time())
    store.create()
    sessions.append(store.session_key)
result = {{"form": form.pk, "sessions": dict(zip([u.username for u in users], sessions))}}
"""

#: Runs inside `manage.py shell` afterwards: what was stored, per member.
CHECK = r"""
from django.db.models import Count
from cms.feedback.models import Participation, Response
form_id = {form}
responses = Response.objects.filter(form_id=form_id)
result = {{
    "responses": responses.count(),
    "participations": Participation.objects.filter(form_id=form_id).count(),
    "duplicate_participations": Participation.objects.filter(form_id=form_id).values("user").annotate(
        n=Count("pk")).filter(n__gt=1).count(),
    "answers": {{r.user.username: r.answers for r in responses.select_related("user") if r.user_id}},
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql], check=True, capture_output=True)


def start_gunicorn(installation: Installation, work: Path, workers: int | None) -> tuple[subprocess.Popen, str]:
    """gunicorn with deploy/gunicorn.conf.py on a free port of 127.0.0.1, once it answers."""
    port = free_port()
    env = {**installation.env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": str(work / "access.log")}
    if workers:
        env["GUNICORN_WORKERS"] = str(workers)
    log = open(work / "gunicorn.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/api/health/", timeout=5)  # answering is enough (503 without a worker)
            return process, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.terminate()
            raise SystemExit("gunicorn did not start: see " + str(work / "gunicorn.log"))
        time.sleep(0.2)


def answers_for(fields: list[dict], rng: random.Random) -> dict:
    answers = {}
    for field in fields:
        kind, name = field["type"], field["name"]
        if kind == "radio":
            answers[name] = rng.choice(field["choices"])
        elif kind == "checkboxes":
            picked = set(rng.sample(field["choices"], rng.randint(1, len(field["choices"]))))
            answers[name] = [choice for choice in field["choices"] if choice in picked]  # in the page's order
        elif kind == "rating":
            answers[name] = rng.randint(1, 5)
        elif kind == "singleline":
            answers[name] = rng.choice(["加强学习", "按时参加组织生活", "多开展主题党日", "希望增加线上课程"])
        elif kind == "multiline":
            answers[name] = (
                "建议支部"
                + "，".join(
                    rng.sample(["加强理论学习", "改进会议通知", "丰富党日活动", "关心困难党员", "提高党务公开频次"], 3)
                )
                + "。"
            )
    return answers


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(q):
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return {"n": len(values), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1]}


class Member:
    def __init__(self, base: str, username: str, session_key: str, form_id: int, rng: random.Random):
        self.client = Client(
            base, cookies={"sessionid": session_key}, headers={"Accept": "application/json"}, timeout=60
        )
        self.username, self.form_id, self.rng = username, form_id, rng
        self.sent = None

    async def call(self, timings, name, method, path, body=None):
        headers = {}
        if method != "GET":
            headers["X-CSRFToken"] = self.client.cookies.get("csrftoken", "")
        started = time.perf_counter()
        response = await self.client.request(method, "/api/member/" + path, json=body, headers=headers)
        timings.setdefault(name, []).append(time.perf_counter() - started)
        return response

    async def run(self, start_at: float, drafts: int, retry: bool, second_tab: bool, timings, problems):
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        try:
            session = await self.call(timings, "GET session/", "GET", "session/")
            if not session.json().get("authenticated"):
                problems.append(f"{self.username}: not logged in")
                return
            detail = await self.call(timings, "GET forms/<id>/", "GET", f"forms/{self.form_id}/")
            fields = [f for f in detail.json()["fields"] if f["type"] != "section"]
            answers = answers_for(fields, self.rng)
            for step in range(1, drafts + 1):  # the page saves while the member types
                partial = dict(list(answers.items())[: len(answers) * step // (drafts + 1)])
                saved = await self.call(
                    timings, "PUT draft/", "PUT", f"forms/{self.form_id}/draft/", {"answers": partial}
                )
                if saved.status_code != 200:
                    problems.append(f"{self.username}: draft {saved.status_code} {saved.text[:200]}")
            key = str(uuid.uuid4())
            body = {"answers": answers, "submission_key": key}
            path = f"forms/{self.form_id}/submit/"
            submitted = await self.call(timings, "POST submit/", "POST", path, body)
            if submitted.status_code != 200:
                problems.append(f"{self.username}: submit {submitted.status_code} {submitted.text[:200]}")
                return
            self.sent = answers
            if retry:  # the answer was lost on the way back: the page sends the same key again
                again = await self.call(timings, "POST submit/ (retry, same key)", "POST", path, body)
                if again.status_code != 200 or again.json().get("submitted_at") != submitted.json().get("submitted_at"):
                    problems.append(f"{self.username}: retry {again.status_code} {again.text[:200]}")
            if second_tab:  # another tab, another key: refused, the first answer stays
                other = await self.call(
                    timings,
                    "POST submit/ (second tab)",
                    "POST",
                    path,
                    {"answers": answers_for(fields, self.rng), "submission_key": str(uuid.uuid4())},
                )
                if other.status_code != 400 or other.json().get("code") != "already_submitted":
                    problems.append(f"{self.username}: second tab {other.status_code} {other.text[:200]}")
        except (HTTPError, ValueError, KeyError) as error:
            problems.append(f"{self.username}: {type(error).__name__}: {error}")
        finally:
            await self.client.aclose()


async def load(base: str, seed: dict, members: int, window: float, drafts: int) -> tuple[dict, list, dict, float]:
    rng = random.Random(11)
    start = time.monotonic() + 1.0
    people = [
        Member(base, username, key, seed["form"], random.Random(i))
        for i, (username, key) in enumerate(sorted(seed["sessions"].items())[:members])
    ]
    timings: dict[str, list[float]] = {}
    problems: list[str] = []
    tasks = [
        person.run(
            start + rng.uniform(0, window),
            drafts,
            retry=rng.random() < 0.05,
            second_tab=rng.random() < 0.02,
            timings=timings,
            problems=problems,
        )
        for person in people
    ]
    began = time.monotonic()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - began
    return timings, problems, {p.username: p.sent for p in people if p.sent is not None}, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which the members start")
    parser.add_argument("--drafts", type=int, default=3, help="draft saves per member before submitting")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: deploy/gunicorn.conf.py's)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and files afterwards")
    args = parser.parse_args()

    work = ROOT / "bench" / "var" / "form-submissions"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    database = "bench_form_submissions"
    psql(f"DROP DATABASE IF EXISTS {database}")
    psql(f"CREATE DATABASE {database}")
    installation = Installation(work, f"{PG}/{database}")
    gunicorn = None
    try:
        print("deploying (migrate, roles, demo site) …", flush=True)
        installation.deploy()
        print(f"seeding {args.members} members, their sessions and a 20-question form …", flush=True)
        seed = installation.shell_json(SEED.format(members=args.members, branches=BRANCHES))
        gunicorn, base = start_gunicorn(installation, work, args.workers)
        load_before = os.getloadavg()[0]
        print(f"{args.members} members over {args.window:.0f} s …", flush=True)
        timings, problems, sent, elapsed = asyncio.run(load(base, seed, args.members, args.window, args.drafts))
        load_after = os.getloadavg()
        stored = installation.shell_json(CHECK.format(form=seed["form"]))
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=30)
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            shutil.rmtree(work, ignore_errors=True)

    mismatched = [name for name, answers in sent.items() if stored["answers"].get(name) != answers]
    lost = sorted(set(sent) - set(stored["answers"]))
    print(
        f"\nmachine: {machine_info()}; load average before {load_before:.2f}, "
        f"after (1/5/15 min) {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}"
    )
    print(
        f"members: {args.members}, all started within {args.window:.0f} s, finished after {elapsed:.1f} s; "
        f"gunicorn workers: {args.workers or 'default'}"
    )
    print(
        f"accepted submissions: {len(sent)}; stored responses: {stored['responses']}; participations: "
        f"{stored['participations']}; duplicates: {stored['duplicate_participations']}; "
        f"lost: {len(lost)}; answers differing from what was sent: {len(mismatched)}; client problems: {len(problems)}"
    )
    for name in mismatched[:2]:
        print("  sent:  ", json.dumps(sent[name], ensure_ascii=False)[:300])
        print("  stored:", json.dumps(stored["answers"].get(name), ensure_ascii=False)[:300])
    for line in problems[:10]:
        print("  problem:", line)
    print("\n| request | n | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|")
    stats = {name: percentiles(values) for name, values in timings.items()}
    for name, s in stats.items():
        print(
            f"| {name} | {s['n']} | {s['p50'] * 1000:.0f} | {s['p95'] * 1000:.0f} | {s['p99'] * 1000:.0f} | "
            f"{s['max'] * 1000:.0f} |"
        )
    floor = stats["GET session/"]["p99"]
    submit = stats["POST submit/"]["p99"]
    print(f"\np99 of POST submit/ against the baseline GET session/ in the same run: {submit / floor:.2f}x")
    ok = (
        not problems
        and not lost
        and not mismatched
        and stored["responses"] == len(sent) == args.members
        and stored["participations"] == args.members
        and not stored["duplicate_participations"]
    )
    print("RESULT:", "none lost or duplicated" if ok else "FAILED")
    print(json.dumps({"members": args.members, "p99_submit_s": submit, "p99_session_s": floor}), file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
