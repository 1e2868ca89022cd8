"""A whole company takes a quiz at once (issue 13, the last benchmark point).

Against PostgreSQL and the production app server (gunicorn with deploy/gunicorn.conf.py and
the production settings, as docs/operations.md deploys it). The floor, measured in the same
run, is a trivial view: GET /api/bench/ping/ (bench/urls_quiz_load.py, served only by this
installation through bench/settings_quiz_load.py), a DRF view with the member API's
authentication and permission answering {"ok": true}: the same middleware, session and user
rows, nothing else. GET session/ (the member area's first request; it computes the tab
badges) is measured beside it as a second reference. Each member is its own HTTP client (own
session and CSRF cookie) making the requests the member area's pages make. Phases, one after
the other:

1. floor: every member sends GET ping/ within one second; time until the last answer; then
   the same with GET session/.
2. steady contest: every member starts the same 知识竞赛 (POST quizzes/<id>/attempts/) within
   the first seconds, saves one answer every few seconds (PUT attempts/<id>/answers/<q>/,
   jittered) until every question is answered, then submits (POST attempts/<id>/submit/, the
   hand-in: 202) and, as the result page does, asks GET attempts/<id>/result/ every
   retry_after_seconds until the score is there (the product's worker grades: "score shown
   after 交卷"); some resend the submit with the same key (a retry after a lost answer). Meanwhile other
   members study a lesson: POST lessons/<id>/open/, then a heartbeat every few seconds.
   Target: p99 under 300 ms for saves and submits.
3. bursts, each with every member's request sent within one second and the time until the
   last answer: a save (a second contest, started beforehand), a lesson heartbeat (lesson
   opened beforehand), then the submit — every attempt recorded exactly once (some members
   double-click: the same key twice at once; some retry), none lost or duplicated.
4. floor again, ping and session (the shared machine drifts between phases).
5. capacity: everyone starts four more contests (not measured); then 20 clients in a closed
   loop (each sends the next request as soon as its last is answered: every gunicorn worker
   always busy) send, four rounds over, every member's ping, save and heartbeat (500 each a
   run), then every member's submit of that round's contest with the worker paused, and the
   worker grades those hand-ins on its own; a last ping ends the phase. Requests per second
   is the server's throughput for that request, and the CPU each program (gunicorn,
   PostgreSQL, the worker grading) used per request says where it went.
6. one at a time: a single client sends GET ping/, starts a third contest, GET session/, a
   heartbeat, a save and a submit, member after member; the medians say what each request costs
   without any queue, the figure least disturbed by other work on a shared machine.

A burst shows what a crowd waits for (the time until the last answer), not the server's
throughput once the server answers the trivial view as fast as the burst sends it (500 in
one second); the capacity phase does. The cost of a request relative to the trivial view:
at capacity the throughput of the pings right before and after a run / the run's (the
median over the rounds: the machine drifts), and one at a time its median latency / the
ping's. The hand-in's grading is the worker's CPU, reported apart and together with it. Target for heartbeat, save and submit: at most 1.5x
the trivial view, both ways.
Afterwards the database is compared with what the clients sent: one submitted attempt per
member and contest, holding exactly the answers that member saved last.

The product's worker (``manage.py worker``, default settings) runs beside gunicorn, as
deployed; the queue that deploying and seeding filled is drained before the load.

Log-ins are not measured: the sessions are created beforehand (a password hash costs ~0.3 s
of CPU by design, and a company's members log in over the morning).

    .venv/bin/python bench/quiz_load.py [--members 500] [--studying 200] [--questions 20]
        [--save-every 5] [--heartbeat-every 30] [--workers N] [--concurrency 20] [--keep]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); creates and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import statistics
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds_by_program, machine_info  # noqa: E402
from bench.form_submissions import PG, percentiles, psql, start_gunicorn  # noqa: E402
from bench.http_client import Client  # noqa: E402
from bench.notice_fanout import start_worker  # noqa: E402
from tests.production import Installation  # noqa: E402

BRANCHES = 20
#: The target of the issue for saves and submits in the steady contest.
P99_TARGET_S = 0.300
#: The target of the issue for the hot endpoints' cost relative to the trivial view.
COST_TARGET = 1.5
#: The trivial view (bench/urls_quiz_load.py); other paths are relative to /api/member/.
PING = "/api/bench/ping/"
HOT = ("POST heartbeat/", "PUT answers/", "POST submit/")
#: What a member waits through after 交卷: the hand-in's answer, then the result page asking
#: again every retry_after_seconds until the worker has graded it.
SCORED = "score shown after 交卷"
FLOORS = ("GET ping/ (floor)", "GET ping/ (floor again)")
PING_RUN = "GET ping/"
CAPACITY_REQUESTS = (PING_RUN, "PUT answers/", "POST heartbeat/", "POST submit/")
#: Capacity rounds (ping, save, heartbeat: each member's request once per run).
CAPACITY_ROUNDS = 4

#: Runs inside `manage.py shell` of the installation: people and their sessions, a question
#: bank, two contests (steady, burst) and a course with a lesson.
SEED = r"""
import datetime, time
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from wagtail.rich_text import RichText
from cms.accounts.models import Membership, MemberStatus, OrganisationUnit, User
from cms.assessment.answers import QuestionType
from cms.assessment.models import KnowledgePoint, Question, QuizKind, QuizPage, QuizQuestion
from cms.assessment.services import ensure_quiz_root
from cms.core.security import IdleSessionMiddleware
from cms.study.models import CoursePage, LessonPage
from cms.study.services import ensure_study_root

MEMBERS, STUDYING, QUESTIONS, BRANCHES = {members}, {studying}, {questions}, {branches}
committee, _ = OrganisationUnit.objects.get_or_create(name="基准党委", defaults={{"kind": "committee"}})
generals = [OrganisationUnit.objects.get_or_create(name=f"基准第{{i + 1}}党总支",
            defaults={{"kind": "general_branch", "parent": committee}})[0] for i in range(4)]
branches = [OrganisationUnit.objects.get_or_create(name=f"基准第{{i + 1}}党支部",
            defaults={{"kind": "branch", "parent": generals[i % 4]}})[0] for i in range(BRANCHES)]
password = make_password("Bench-2026-password!")  # one hash for everyone: seeding stays fast
names = [f"quiz{{i:05d}}" for i in range(MEMBERS)] + [f"study{{i:05d}}" for i in range(STUDYING)]
User.objects.bulk_create([User(username=name, first_name=f"党员{{i}}", password=password,
                               organisation=branches[i % BRANCHES]) for i, name in enumerate(names)])
users = list(User.objects.filter(username__in=names).order_by("username"))
Membership.objects.bulk_create([Membership(user=u, status=MemberStatus.FULL) for u in users])

points = [KnowledgePoint.objects.create(name=f"基准知识点{{i + 1}}") for i in range(4)]
kinds = [QuestionType.SINGLE, QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE]
questions = []
for i in range(QUESTIONS):
    kind = kinds[i % len(kinds)]
    options = {{}} if kind == QuestionType.TRUE_FALSE else {{
        "option_a": "坚持党的全面领导", "option_b": "坚持以人民为中心", "option_c": "坚持全面从严治党",
        "option_d": "坚持自我革命"}}
    answer = {{QuestionType.SINGLE: "B", QuestionType.MULTIPLE: "ACD", QuestionType.TRUE_FALSE: "正确"}}[kind]
    question = Question(live=False, type=kind, stem=f"第{{i + 1}}题：关于党的建设，下列说法正确的是？",
                        answer=answer, explanation="解析：见党章总纲。", difficulty=2, **options)
    question.full_clean(exclude=["knowledge_points"])
    question.save()
    question.knowledge_points.set([points[i % len(points)]])
    question.save_revision().publish(skip_permission_checks=True)
    questions.append(question)

def contest(title, slug):
    page = QuizPage(title=title, slug=slug, intro="全体党员参加。", kind=QuizKind.CONTEST,
                    starts_at=timezone.now() - datetime.timedelta(minutes=1), time_limit_minutes=180,
                    allow_review=True, shuffle_options=True, live=False)
    ensure_quiz_root().add_child(instance=page)
    page.audience_units.set([committee])
    page.fixed_questions = [QuizQuestion(question=q, sort_order=i) for i, q in enumerate(questions)]
    page.save()
    page.save_revision().publish(skip_permission_checks=True)
    return page

steady, burst = contest("党章党规知识竞赛", "bench-contest"), contest("党史知识竞赛（集中交卷）", "bench-burst")
serial = contest("党纪知识竞赛（逐个作答）", "bench-serial")
# The capacity phase hands one in every round.
capacity = [contest(f"廉洁知识竞赛（满负荷，第{{i + 1}}轮）", f"bench-capacity-{{i + 1}}") for i in range({rounds})]
course = CoursePage(title="学习贯彻党的二十大精神", slug="bench-course", intro="全体党员必修。", required=True,
                    live=False)
ensure_study_root().add_child(instance=course)
course.audience_units.set([committee])
course.save_revision().publish(skip_permission_checks=True)
# A lesson as editors write one: a few thousand characters of text in paragraphs and headings.
paragraph = "坚持和加强党的全面领导，坚持以人民为中心的发展思想，推动全面从严治党向纵深发展。" * 8
body = [block for i in range(12) for block in (("heading", f"第{{i + 1}}部分"), ("paragraph", RichText(f"<p>{{paragraph}}</p>")))]
lesson = LessonPage(title="第一讲", slug="bench-lesson", summary="导学。", body=body, live=False)
course.add_child(instance=lesson)
lesson.save_revision().publish(skip_permission_checks=True)

sessions = {{}}
for user in users:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[IdleSessionMiddleware.KEY] = int(time.time())
    store.create()
    sessions[user.username] = store.session_key
result = {{"steady": steady.pk, "burst": burst.pk, "serial": serial.pk, "capacity": [page.pk for page in capacity],
          "lesson": lesson.pk, "sessions": sessions}}
"""

#: Runs inside `manage.py shell`: waits until the worker has run every queued task and graded
#: every hand-in (grading is the worker's step on every pass, not a queued task).
DRAIN = r"""
import time
from django_tasks_db.models import DBTaskResult
from cms.assessment.models import Attempt
deadline = time.monotonic() + 600
while (DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()
       or Attempt.objects.filter(submitted_at__isnull=False, graded_at__isnull=True).exists()):
    if time.monotonic() > deadline:
        raise SystemExit("the worker did not drain its queue and grade every hand-in within 600 s")
    time.sleep(0.05)
result = DBTaskResult.objects.count()
"""

#: Runs inside `manage.py shell` afterwards: per contest and member, the attempts and the
#: answers stored, in the keys that member was shown.
CHECK = r"""
from cms.assessment.models import Attempt
from cms.assessment.selectors import to_shown
result = {{}}
for quiz_id in ({steady}, {burst}, {serial}, *{capacity}):
    people = {{}}
    for attempt in Attempt.objects.filter(quiz_id=quiz_id).select_related("user").prefetch_related("answers"):
        items = {{item["q"]: item for item in attempt.items}}
        answers = {{str(a.question_id): to_shown(items[a.question_id], items[a.question_id]["t"], a.answer)
                   for a in attempt.answers.all() if a.answer is not None}}
        people.setdefault(attempt.user.username, []).append(
            {{"submitted": attempt.submitted_at is not None, "graded": attempt.graded_at is not None,
              "key": str(attempt.key), "answers": answers, "rows": len(attempt.answers.all())}})
    result[str(quiz_id)] = people
# Graded exactly once: every question of the bank has one knowledge point, so a person's
# mastery counts exactly their graded answers (a second grading would count them twice).
from django.db.models import Count, Sum
from cms.assessment.models import AttemptAnswer, Mastery
counted = dict(Mastery.objects.values_list("user__username").annotate(n=Sum("answered")))
graded = dict(AttemptAnswer.objects.filter(attempt__graded_at__isnull=False)
              .values_list("attempt__user__username").annotate(n=Count("pk")))
result["mastery_mismatch"] = sorted(name for name in set(counted) | set(graded) if counted.get(name) != graded.get(name))
"""


class Member:
    def __init__(self, base: str, username: str, session_key: str, rng: random.Random):
        self.client = Client(base, cookies={"sessionid": session_key}, headers={"Accept": "application/json"})
        self.username, self.rng = username, rng
        self.attempts: dict[int, dict] = {}  # quiz id → the attempt as started
        self.saved: dict[int, dict[str, list]] = {}  # quiz id → question id → last answer saved
        self.submitted: dict[int, str] = {}  # quiz id → submitted_at answered
        self.scored: dict[int, float] = {}  # quiz id → seconds from 交卷 until the score was shown

    async def call(self, record, name, method, path, body=None):
        headers = {"X-CSRFToken": self.client.cookies.get("csrftoken", "")} if method != "GET" else {}
        started = time.perf_counter()
        url = path if path.startswith("/") else "/api/member/" + path
        response = await self.client.request(method, url, json=body, headers=headers)
        ended = time.perf_counter()
        record(name, started, ended)
        return response

    async def start(self, record, problems, quiz_id):
        response = await self.call(record, "POST attempts/ (start)", "POST", f"quizzes/{quiz_id}/attempts/")
        if response.status_code not in (200, 201):
            problems.append(f"{self.username}: start {response.status_code} {response.text[:200]}")
            return None
        self.attempts[quiz_id] = response.json()
        self.saved[quiz_id] = {}
        return self.attempts[quiz_id]

    async def save(self, record, problems, quiz_id, index, name="PUT answers/"):
        attempt = self.attempts[quiz_id]
        question = attempt["questions"][index]
        keys = [option["key"] for option in question["options"]]
        if question["type"] == "multiple":
            answer = sorted(self.rng.sample(keys, self.rng.randint(1, len(keys))))
        else:
            answer = [self.rng.choice(keys)]
        path = f"attempts/{attempt['id']}/answers/{question['id']}/"
        response = await self.call(record, name, "PUT", path, {"answer": answer})
        if response.status_code != 200 or response.json().get("answer") != answer:
            problems.append(f"{self.username}: save {response.status_code} {response.text[:200]}")
            return
        self.saved[quiz_id][str(question["id"])] = answer

    async def submit(
        self, record, problems, quiz_id, *, retry=False, double=False, name="POST submit/", wait_for_score=True
    ):
        """交卷 as the page does, then its result page: GET result/ again after the answer's
        retry_after_seconds while the score is being graded (202), until it is shown (200).
        ``wait_for_score=False``: the hand-in alone (the capacity phase measures the submit
        endpoint; the worker grades meanwhile and the database check afterwards sees it)."""
        path = f"attempts/{self.attempts[quiz_id]['id']}/submit/"
        body = {"key": str(uuid.uuid4())}
        handed_in = time.perf_counter()
        if double:  # a double click: the same key twice at once, both must answer the same
            answers = await asyncio.gather(
                self.call(record, name, "POST", path, body),
                self.call(record, "POST submit/ (double click, same key)", "POST", path, body),
            )
        else:
            answers = [await self.call(record, name, "POST", path, body)]
        if retry:  # the answer was lost on the way back: the page sends the same key again
            answers.append(await self.call(record, "POST submit/ (retry, same key)", "POST", path, body))
        moments, graded, pause = set(), None, 1.0
        for response in answers:
            if response.status_code not in (200, 202):
                problems.append(f"{self.username}: submit {response.status_code} {response.text[:200]}")
                return
            data = response.json()
            if response.status_code == 200:
                moments.add(data["attempt"]["submitted_at"])
                graded = data
            else:
                moments.add(data["submitted_at"])
                pause = data["retry_after_seconds"]
        if len(moments) != 1:
            problems.append(f"{self.username}: submits answered differently: {sorted(moments)}")
            return
        self.submitted[quiz_id] = moments.pop()
        if not wait_for_score:
            return
        result_path = f"attempts/{self.attempts[quiz_id]['id']}/result/"
        while graded is None:
            await asyncio.sleep(pause)
            response = await self.call(record, "GET result/ (the result page)", "GET", result_path)
            if response.status_code == 200:
                graded = response.json()
            elif response.status_code != 202:
                problems.append(f"{self.username}: result {response.status_code} {response.text[:200]}")
                return
        if graded["attempt"]["submitted_at"] != self.submitted[quiz_id]:
            problems.append(f"{self.username}: the result's hand-in differs from the submit's answer")
        self.scored[quiz_id] = time.perf_counter() - handed_in
        record(SCORED, handed_in, time.perf_counter(), latency=False)


class Recorder:
    """Latencies per request type, and the moment the last answer of a phase came back."""

    def __init__(self):
        self.timings: dict[str, list[float]] = {}
        self.events: list[tuple[float, str, float]] = []  # (started, request name, seconds) for the timeline
        self.last_end = 0.0
        self.ends: dict[str, float] = {}  # request name → the moment its last answer came back
        self.count = 0

    def __call__(self, name, started, ended, *, latency=True):
        """``latency=False``: a span the member waits through (交卷 → score), not a request."""
        self.timings.setdefault(name, []).append(ended - started)
        if latency:
            self.events.append((started, name, ended - started))
        self.last_end = max(self.last_end, ended)
        self.ends[name] = max(self.ends.get(name, 0.0), ended)
        self.count += latency


async def at(moment: float):
    await asyncio.sleep(max(0.0, moment - time.perf_counter()))


async def spread(members, action, window: float, rng: random.Random) -> float:
    """Run ``action(member)`` for every member, each at a random moment within ``window``
    seconds from now; returns the start."""
    start = time.perf_counter() + 0.2

    async def one(member, offset):
        await at(start + offset)
        await action(member)

    await asyncio.gather(*(one(m, rng.uniform(0, window)) for m in members))
    return start


async def burst(name, members, action, rng) -> dict:
    """Every member's request within one second; the time until the last answer (of that
    request: the submit burst's result pages asking for the score are reported apart)."""
    recorder = Recorder()
    start = await spread(members, lambda m: action(m, recorder), 1.0, rng)
    until_last = recorder.ends[name] - start
    print(f"  burst {name}: {len(members)} requests, last answer after {until_last:.2f} s", flush=True)
    out = {"recorder": recorder, "until_last": until_last, "throughput": len(members) / until_last}
    if SCORED in recorder.ends:
        out["until_last_score"] = recorder.ends[SCORED] - start
        print(f"  burst {name}: the last score shown after {out['until_last_score']:.2f} s", flush=True)
    return out


async def capacity(name, items, action, concurrency: int) -> dict:
    """Closed loop: ``concurrency`` clients each send the next item's request as soon as their
    last one is answered, until every item has been sent once. With more clients than gunicorn
    workers every worker is always busy, so requests / seconds is the server's throughput for
    this request (what a burst cannot show once the server answers the trivial view as fast as
    the burst sends it). The CPU every program used meanwhile, per request, says where it went."""
    recorder = Recorder()
    pending = iter(items)  # shared: each item is taken by exactly one client

    async def client():
        for item in pending:
            await action(item, recorder)

    cpu_before = cpu_seconds_by_program()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    cpu_after = cpu_seconds_by_program()
    n = len(items)
    cpu = {program: (cpu_after.get(program, 0.0) - cpu_before.get(program, 0.0)) / n for program in cpu_after}
    print(f"  capacity {name}: {n} requests in {seconds:.2f} s ({n / seconds:.0f}/s)", flush=True)
    return {"recorder": recorder, "n": n, "seconds": seconds, "throughput": n / seconds, "cpu_per_request": cpu}


async def steady(members, studying, seed, args, problems, rng) -> tuple[Recorder, float]:
    recorder = Recorder()
    quiz_id, lesson_id = seed["steady"], seed["lesson"]
    done = asyncio.Event()
    begun = time.perf_counter()

    async def take(member: Member):
        await asyncio.sleep(rng.uniform(0, args.start_window))
        attempt = await member.start(recorder, problems, quiz_id)
        if attempt is None:
            return
        for index in range(len(attempt["questions"])):
            await asyncio.sleep(args.save_every * member.rng.uniform(0.5, 1.5))
            await member.save(recorder, problems, quiz_id, index)
        await asyncio.sleep(args.save_every * member.rng.uniform(0.5, 1.5))
        await member.submit(recorder, problems, quiz_id, retry=member.rng.random() < 0.05)

    async def study(member: Member):
        await asyncio.sleep(rng.uniform(0, args.heartbeat_every))
        opened = await member.call(recorder, "POST open/", "POST", f"lessons/{lesson_id}/open/")
        if opened.status_code != 200:
            problems.append(f"{member.username}: open {opened.status_code} {opened.text[:200]}")
            return
        seconds = max(1, min(120, round(args.heartbeat_every)))
        while not done.is_set():
            try:
                await asyncio.wait_for(done.wait(), args.heartbeat_every)
                return
            except TimeoutError:
                pass
            beat = await member.call(
                recorder, "POST heartbeat/", "POST", f"lessons/{lesson_id}/heartbeat/", {"seconds": seconds}
            )
            if beat.status_code != 200:
                problems.append(f"{member.username}: heartbeat {beat.status_code} {beat.text[:200]}")

    async def contest():
        await asyncio.gather(*(take(m) for m in members))
        done.set()

    await asyncio.gather(contest(), *(study(m) for m in studying))
    return recorder, time.perf_counter() - begun


async def load(base: str, seed: dict, args, drain, pause_worker) -> dict:
    rng = random.Random(13)
    names = sorted(seed["sessions"])
    people = [
        Member(base, name, seed["sessions"][name], random.Random(i))
        for i, name in enumerate(names)
        if name[:4] == "quiz"
    ]
    studying = [
        Member(base, name, seed["sessions"][name], random.Random(10**6 + i))
        for i, name in enumerate(names)
        if name[:5] == "study"
    ]
    problems: list[str] = []
    out: dict = {"problems": problems, "bursts": {}, "capacity": {}}
    try:
        # Not measured: every client gets its CSRF cookie (and every worker a first request).
        setup = Recorder()
        await spread(people + studying, lambda m: m.call(setup, "setup", "GET", "session/"), 5.0, rng)

        async def session(member, recorder):
            response = await member.call(recorder, "GET session/", "GET", "session/")
            if response.status_code != 200 or not response.json().get("authenticated"):
                problems.append(f"{member.username}: session {response.status_code}")

        async def ping(member, recorder):
            response = await member.call(recorder, "GET ping/", "GET", PING)
            if response.status_code != 200 or response.json() != {"ok": True}:
                problems.append(f"{member.username}: ping {response.status_code} {response.text[:200]}")

        print("phase 1: floor …", flush=True)
        out["bursts"]["GET ping/ (floor)"] = await burst("GET ping/", people, ping, rng)
        out["bursts"]["GET session/"] = await burst("GET session/", people, session, rng)

        print(f"phase 2: steady contest ({len(people)} members, {len(studying)} studying) …", flush=True)
        cpu_before = cpu_seconds_by_program()
        out["steady"], out["steady_seconds"] = await steady(people, studying, seed, args, problems, rng)
        cpu_after = cpu_seconds_by_program()
        out["steady_cpu"] = {name: cpu_after.get(name, 0.0) - cpu_before.get(name, 0.0) for name in cpu_after}

        print("phase 3: bursts …", flush=True)
        quiz_id, lesson_id = seed["burst"], seed["lesson"]
        prepare = Recorder()  # not reported: starting the second contest and opening the lesson

        async def get_ready(member):
            await member.start(prepare, problems, quiz_id)
            opened = await member.call(prepare, "POST open/", "POST", f"lessons/{lesson_id}/open/")
            if opened.status_code != 200:
                problems.append(f"{member.username}: open {opened.status_code}")

        await spread(people, get_ready, args.prepare_window, rng)
        await asyncio.sleep(2)  # a few seconds of study time to report

        async def save(member, recorder):
            if quiz_id in member.attempts:
                await member.save(recorder, problems, quiz_id, 0)

        async def heartbeat(member, recorder):
            beat = await member.call(
                recorder, "POST heartbeat/", "POST", f"lessons/{lesson_id}/heartbeat/", {"seconds": 2}
            )
            if beat.status_code != 200:
                problems.append(f"{member.username}: heartbeat {beat.status_code} {beat.text[:200]}")

        async def submit(member, recorder):
            if quiz_id in member.attempts:
                roll = member.rng.random()
                await member.submit(recorder, problems, quiz_id, double=roll < 0.03, retry=0.03 <= roll < 0.06)

        out["bursts"]["PUT answers/"] = await burst("PUT answers/", people, save, rng)
        out["bursts"]["POST heartbeat/"] = await burst("POST heartbeat/", people, heartbeat, rng)
        out["bursts"]["POST submit/"] = await burst("POST submit/", people, submit, rng)

        print("phase 4: floor again …", flush=True)
        out["bursts"]["GET ping/ (floor again)"] = await burst("GET ping/", people, ping, rng)
        out["bursts"]["GET session/ (again)"] = await burst("GET session/", people, session, rng)

        print(f"phase 5: capacity ({args.concurrency} clients in a closed loop) …", flush=True)
        contests = seed["capacity"]  # one per round: each round ends with its hand-in

        async def start_all(member):
            for quiz_id in contests:
                await member.start(prepare, problems, quiz_id)

        await spread(people, start_all, args.prepare_window * len(contests), rng)
        started = [m for m in people if all(quiz_id in m.attempts for quiz_id in contests)]

        # Interleaved: a shared VM drifts by a third within a minute (two ping runs 30 s apart
        # in one run answered 619/s and 468/s), so each run is set against the pings right
        # before and after it, and the rounds' median is the cost. A round: ping, a save by every
        # member (on another question each round), a heartbeat, then the hand-in with the worker
        # paused (SIGSTOP, idle after the drain) so the grading it causes does not share the
        # run; the grading is measured right after, on its own.
        runs = out["capacity"] = {name: [] for name in CAPACITY_REQUESTS}
        for index, quiz_id in enumerate(contests):

            async def save_item(member, recorder, quiz_id=quiz_id, index=index):
                await member.save(recorder, problems, quiz_id, index)

            async def submit_item(member, recorder, quiz_id=quiz_id):
                await member.submit(recorder, problems, quiz_id, wait_for_score=False)

            runs[PING_RUN].append(await capacity(PING_RUN, started, ping, args.concurrency))
            runs["PUT answers/"].append(await capacity("PUT answers/", started, save_item, args.concurrency))
            runs["POST heartbeat/"].append(await capacity("POST heartbeat/", started, heartbeat, args.concurrency))
            with pause_worker():
                hand_ins = await capacity("POST submit/", started, submit_item, args.concurrency)
            runs["POST submit/"].append(hand_ins)
            cpu_before, began = cpu_seconds_by_program(), time.perf_counter()
            await asyncio.to_thread(drain)
            cpu_after = cpu_seconds_by_program()
            hand_ins["grading"] = {
                "seconds": time.perf_counter() - began,
                "cpu_per_request": {
                    program: (cpu_after.get(program, 0.0) - cpu_before.get(program, 0.0)) / hand_ins["n"]
                    for program in ("worker", "postgres")
                },
            }
            print(f"  the worker graded the hand-ins in {hand_ins['grading']['seconds']:.2f} s", flush=True)
        runs[PING_RUN].append(await capacity(PING_RUN, started, ping, args.concurrency))
        out["capacity_people"] = started

        print("phase 6: one at a time …", flush=True)
        serial_id, one = seed["serial"], Recorder()
        out["serial_people"] = people[: args.serial]
        for member in out["serial_people"]:
            await ping(member, one)
            if await member.start(one, problems, serial_id) is None:
                continue
            await session(member, one)
            await member.call(one, "POST heartbeat/", "POST", f"lessons/{lesson_id}/heartbeat/", {"seconds": 2})
            await member.save(one, problems, serial_id, 0)
            await member.submit(one, problems, serial_id)
        out["serial"] = one
    finally:
        await asyncio.gather(*(m.client.aclose() for m in people + studying))
    out["people"] = people
    return out


def check(stored: dict, people: list[Member], quiz_id: int) -> dict:
    """One submitted attempt per member holding exactly the answers they saved last."""
    rows = stored[str(quiz_id)]
    lost = [
        m.username
        for m in people
        if quiz_id not in m.submitted or not any(a["submitted"] for a in rows.get(m.username, []))
    ]
    duplicated = [name for name, attempts in rows.items() if len(attempts) > 1]
    differing = [
        m.username
        for m in people
        if quiz_id in m.submitted and rows.get(m.username) and rows[m.username][0]["answers"] != m.saved.get(quiz_id)
    ]
    return {
        "members": len(people),
        "submitted": sum(1 for attempts in rows.values() for a in attempts if a["submitted"]),
        "ungraded": [
            name for name, attempts in rows.items() if any(a["submitted"] and not a["graded"] for a in attempts)
        ],
        "lost": lost,
        "duplicated": duplicated,
        "differing": differing,
    }


TIMELINE_STEP = 15.0


def timeline(recorder: Recorder) -> list[str]:
    """Requests sent per window with the p50 and p99 of the saves and of every request: where
    in the contest a queue built up (the start, the saves, the hand-ins)."""
    if not recorder.events:
        return []
    first = min(started for started, _name, _seconds in recorder.events)
    windows: dict[int, list[tuple[str, float]]] = {}
    for started, name, seconds in recorder.events:
        windows.setdefault(int((started - first) // TIMELINE_STEP), []).append((name, seconds))
    lines = ["| from s | requests/s | saves p50 ms | saves p99 ms | all p99 ms | mostly |", "|---|---|---|---|---|---|"]
    for index in sorted(windows):
        events = windows[index]
        saves = [seconds for name, seconds in events if name == "PUT answers/"]
        every = [seconds for _name, seconds in events]
        names = Counter(name for name, _seconds in events)
        busiest = names.most_common(1)[0][0]
        if saves:
            stats = percentiles(saves)
            save_columns = f"{stats['p50'] * 1000:.0f} | {stats['p99'] * 1000:.0f}"
        else:
            save_columns = "– | –"
        lines.append(
            f"| {index * TIMELINE_STEP:.0f} | {len(events) / TIMELINE_STEP:.1f} | {save_columns} | "
            f"{percentiles(every)['p99'] * 1000:.0f} | {busiest} |"
        )
    return lines


def table(timings: dict[str, list[float]]) -> list[str]:
    lines = ["| request | n | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|"]
    for name, values in sorted(timings.items()):
        s = percentiles(values)
        lines.append(
            f"| {name} | {s['n']} | {s['p50'] * 1000:.0f} | {s['p95'] * 1000:.0f} | {s['p99'] * 1000:.0f} | "
            f"{s['max'] * 1000:.0f} |"
        )
    return lines


@contextlib.contextmanager
def paused(process):
    """The worker stopped (SIGSTOP) for the duration: it keeps its state and resumes where it
    was (SIGCONT)."""
    process.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        process.send_signal(signal.SIGCONT)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=500, help="members taking the contests")
    parser.add_argument("--studying", type=int, default=200, help="members studying a lesson meanwhile")
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--save-every", type=float, default=5.0, help="mean seconds between a member's saves")
    parser.add_argument("--heartbeat-every", type=float, default=30.0, help="seconds between heartbeats (the page: 30)")
    parser.add_argument("--start-window", type=float, default=10.0, help="seconds over which the contest starts")
    parser.add_argument(
        "--prepare-window", type=float, default=20.0, help="seconds for starting the burst contest (not measured)"
    )
    parser.add_argument("--serial", type=int, default=100, help="members in the one-at-a-time phase")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: deploy/gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=20, help="clients of the capacity phase (more than the gunicorn workers)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and files afterwards")
    parser.add_argument(
        "--database", default="bench_quiz_load", help="PostgreSQL database to create and drop (files: bench/var/<name>)"
    )
    args = parser.parse_args()

    database = args.database
    work = ROOT / "bench" / "var" / database.replace("_", "-")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    # Production settings plus the trivial view's route (PYTHONPATH, the repository, reaches bench/).
    installation = Installation(work, f"{PG}/{database}", DJANGO_SETTINGS_MODULE="bench.settings_quiz_load")
    gunicorn = worker = None
    try:
        print("deploying (migrate, roles, demo site) …", flush=True)
        installation.deploy()
        print(f"seeding {args.members} + {args.studying} members, sessions, the contests, a lesson …", flush=True)
        seed = installation.shell_json(
            SEED.format(
                members=args.members,
                studying=args.studying,
                questions=args.questions,
                branches=BRANCHES,
                rounds=CAPACITY_ROUNDS,
            )
        )
        gunicorn, base = start_gunicorn(installation, work, args.workers)
        # The product's worker with its defaults (it grades the hand-ins); what deploying and
        # seeding queued (the demo site's build, search index updates) is done before the load.
        print("starting the worker (manage.py worker) and waiting for its queue to drain …", flush=True)
        worker = start_worker(installation, work)
        installation.shell_json(DRAIN)
        load_before = os.getloadavg()
        began = time.monotonic()
        out = asyncio.run(load(base, seed, args, lambda: installation.shell_json(DRAIN), lambda: paused(worker)))
        elapsed = time.monotonic() - began
        load_after = os.getloadavg()
        installation.shell_json(DRAIN)  # the one-at-a-time phase's last hand-ins
        stored = installation.shell_json(
            CHECK.format(steady=seed["steady"], burst=seed["burst"], serial=seed["serial"], capacity=seed["capacity"])
        )
    finally:
        for process in (gunicorn, worker):
            if process is not None:
                process.terminate()
                process.wait(timeout=60)
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            shutil.rmtree(work, ignore_errors=True)

    people, problems, bursts = out["people"], out["problems"], out["bursts"]
    print(
        f"\nmachine: {machine_info()}; load average before (1/5/15 min) "
        f"{load_before[0]:.2f}/{load_before[1]:.2f}/{load_before[2]:.2f}, "
        f"after {load_after[0]:.2f}/{load_after[1]:.2f}/{load_after[2]:.2f}"
    )
    print(
        f"members: {args.members} taking the contests ({args.questions} questions, a save every "
        f"~{args.save_every:g} s), {args.studying} studying (a heartbeat every {args.heartbeat_every:g} s); "
        f"gunicorn workers: {args.workers or 'default'}; all phases {elapsed:.0f} s"
    )
    ok = not problems
    contests = (
        ("steady contest", seed["steady"], people),
        ("burst contest", seed["burst"], people),
        ("one-at-a-time contest", seed["serial"], out["serial_people"]),
        *(
            (f"capacity contest, round {i + 1}", quiz_id, out["capacity_people"])
            for i, quiz_id in enumerate(seed["capacity"])
        ),
    )
    for label, quiz_id, takers in contests:
        c = check(stored, takers, quiz_id)
        ok = ok and not (c["lost"] or c["duplicated"] or c["differing"] or c["ungraded"])
        ok = ok and c["submitted"] == c["members"]
        print(
            f"{label}: members {c['members']}, submitted attempts {c['submitted']}, lost {len(c['lost'])}, "
            f"duplicated {len(c['duplicated'])}, answers differing from the last saved {len(c['differing'])}, "
            f"not graded {len(c['ungraded'])}"
        )
    mismatch = stored["mastery_mismatch"]
    ok = ok and not mismatch
    print(f"people whose mastery does not count each graded answer exactly once: {len(mismatch)}")
    for line in problems[:10]:
        print("  problem:", line)

    steady_stats = {name: percentiles(v) for name, v in out["steady"].timings.items()}
    print(
        f"\nsteady contest ({out['steady_seconds']:.0f} s, {out['steady'].count} requests, "
        f"{out['steady'].count / out['steady_seconds']:.1f} requests/s):\n"
    )
    print("\n".join(table(out["steady"].timings)))
    scored = steady_stats[SCORED]
    print(
        f"score shown after 交卷 in the steady contest (the hand-in, then the result page asking every "
        f"second): p50 {scored['p50']:.2f} s, p99 {scored['p99']:.2f} s, max {scored['max']:.2f} s"
    )
    print(f"\nthe steady contest over time (by when each request was sent; {TIMELINE_STEP:g} s windows):\n")
    print("\n".join(timeline(out["steady"])))
    cpu, seconds = out["steady_cpu"], out["steady_seconds"]
    print(
        f"\nCPU used during the steady contest ({seconds:.0f} s × {os.cpu_count()} cores = "
        f"{seconds * (os.cpu_count() or 1):.0f} CPU-seconds available): "
        + ", ".join(f"{name} {used:.0f} s" for name, used in sorted(cpu.items(), key=lambda item: -item[1]))
    )
    for name in ("PUT answers/", "POST submit/"):
        p99 = steady_stats[name]["p99"]
        print(
            f"p99 of {name} in the steady contest: {p99 * 1000:.0f} ms (target < {P99_TARGET_S * 1000:.0f} ms: "
            f"{'met' if p99 < P99_TARGET_S else 'NOT met'})"
        )

    print("\nbursts (every member's request within 1 s):\n")
    print("| burst | requests | until the last answer | requests/s |\n|---|---|---|---|")
    for name, b in bursts.items():
        print(f"| {name} | {len(people)} | {b['until_last']:.2f} s | {b['throughput']:.0f}/s |")
    submit_burst = bursts["POST submit/"]
    print(
        f"\nsubmit burst: the last hand-in answered after {submit_burst['until_last']:.2f} s, the last score "
        f"shown after {submit_burst['until_last_score']:.2f} s (the worker grades; the pages ask every second)"
    )
    print()
    timings: dict[str, list[float]] = {}
    for name, b in bursts.items():
        for request, values in b["recorder"].timings.items():
            timings.setdefault(f"{request} — burst {name}" if request.startswith("GET") else request, []).extend(values)
    print("\n".join(table(timings)))
    if min(bursts[name]["until_last"] for name in FLOORS) < 1.5:
        # Answered about as fast as the requests came in: a burst's requests/s is then the
        # rate it was sent at, not the server's; the capacity phase measures that.
        print("note: the ping bursts were answered as fast as they were sent (the server was not saturated)")

    runs = out["capacity"]
    pings = runs[PING_RUN]
    # Each run against the mean of the pings right before and after its round (the next
    # round's ping comes after the hand-ins' grading).
    costs = {
        name: [
            (pings[i]["throughput"] + pings[i + 1]["throughput"]) / 2 / run["throughput"]
            for i, run in enumerate(runs[name])
        ]
        for name in HOT
    }
    capacity_cost = {name: statistics.median(values) for name, values in costs.items()}
    print(
        f"\ncapacity ({args.concurrency} clients in a closed loop, every gunicorn worker busy; {CAPACITY_ROUNDS} rounds "
        "of ping, save, heartbeat, the hand-in with the worker paused (every member once a run) and its grading, "
        "then a last ping; a run's cost is the mean throughput of the pings before and after its round / its own; "
        "CPU per request of each program):\n"
    )
    programs = ("gunicorn", "postgres", "worker", "load generator")
    print(
        "| request | runs | n | requests/s | cost vs the trivial view (median; runs) | p50 ms | p99 ms | "
        + " | ".join(f"CPU ms {p}" for p in programs)
        + " |\n|"
        + "---|" * (7 + len(programs))
    )

    def merged(name):
        n = sum(run["n"] for run in runs[name])
        seconds = sum(run["seconds"] for run in runs[name])
        cpu = {p: sum(run["cpu_per_request"].get(p, 0.0) * run["n"] for run in runs[name]) / n for p in programs}
        timings = [t for run in runs[name] for values in run["recorder"].timings.values() for t in values]
        return n, seconds, cpu, percentiles(timings)

    for name in CAPACITY_REQUESTS:
        n, seconds, cpu, st = merged(name)
        cost = (
            "—"
            if name == PING_RUN
            else (f"**{capacity_cost[name]:.2f}x**; " + ", ".join(f"{c:.2f}" for c in costs[name]))
        )
        print(
            f"| {name} | {len(runs[name])} | {n} | {n / seconds:.0f} | {cost} | "
            f"{st['p50'] * 1000:.0f} | {st['p99'] * 1000:.0f} | "
            + " | ".join(f"{cpu[p] * 1000:.2f}" for p in programs)
            + " |"
        )
    hand_in_runs = runs["POST submit/"]
    n_hand_ins = sum(run["n"] for run in hand_in_runs)

    def per_hand_in(part, program):  # CPU seconds per hand-in over every round
        return sum(part(run)["cpu_per_request"].get(program, 0.0) * run["n"] for run in hand_in_runs) / n_hand_ins

    grading = {
        "seconds": sum(run["grading"]["seconds"] for run in hand_in_runs),
        "cpu_per_request": {p: per_hand_in(lambda run: run["grading"], p) for p in ("worker", "postgres")},
    }
    by_program = {
        p: per_hand_in(lambda run: run, p) + grading["cpu_per_request"].get(p, 0.0)
        for p in ("gunicorn", "postgres", "worker")
    }
    _, _, ping_cpu_by_program, _ = merged(PING_RUN)
    ping_cpu = ping_cpu_by_program["gunicorn"] + ping_cpu_by_program["postgres"]
    print(
        f"\nthe grading of the {n_hand_ins} hand-ins ({len(hand_in_runs)} runs), each after its run: "
        f"{grading['seconds']:.2f} s in all, "
        + ", ".join(f"{p} {grading['cpu_per_request'].get(p, 0.0) * 1000:.2f}" for p in ("worker", "postgres"))
        + " CPU ms per hand-in; a hand-in with its grading: "
        + ", ".join(f"{p} {ms * 1000:.2f}" for p, ms in by_program.items())
        + f" CPU ms, {sum(by_program.values()) / ping_cpu:.2f}x the ping's server CPU "
        f"({ping_cpu * 1000:.2f} ms, gunicorn and postgres)"
    )
    alone = {name: percentiles(values) for name, values in out["serial"].timings.items()}
    print(f"\none at a time ({len(out['serial_people'])} members, one request in flight):\n")
    print("| request | n | p50 ms | p95 ms | p99 ms | max ms | p50 vs GET ping/ |\n|---|---|---|---|---|---|---|")
    for name, st in alone.items():
        print(
            f"| {name} | {st['n']} | {st['p50'] * 1000:.1f} | {st['p95'] * 1000:.1f} | {st['p99'] * 1000:.1f} | "
            f"{st['max'] * 1000:.1f} | {st['p50'] / alone['GET ping/']['p50']:.2f}x |"
        )

    print(f"\ncost vs the trivial view (target ≤ {COST_TARGET}x):")
    for name in ("GET session/", *HOT):
        serial_cost = alone[name]["p50"] / alone["GET ping/"]["p50"]
        if name not in capacity_cost:
            print(f"  {name}: one at a time {serial_cost:.2f}x")
            continue
        met = max(capacity_cost[name], serial_cost) <= COST_TARGET
        print(
            f"  {name}: one at a time {serial_cost:.2f}x, throughput at capacity {capacity_cost[name]:.2f}x"
            f" — {'met' if met else 'NOT met'}"
        )
    print("RESULT:", "every attempt recorded exactly once" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
