"""A notice to the whole committee fans out to 10,000 members' email and the branches' robots
(issue 14, the benchmark of its proof): the time until the last email is handed to the local
SMTP server, and whether a dead robot endpoint delays the others.

An installation as docs/operations.md deploys it (production settings, PostgreSQL, the
product's default delivery settings: a 10 s read and 3 s connect timeout per robot request,
30 s per task run, 200 emails per SMTP connection), with:

* an organisation of one 党委, 5 党总支 and 50 党支部 of uneven size; ``--members`` Party
  members (正式党员 and 预备党员) with an email address and the notices email choice on; besides
  them, members who receive the notice but no email (choice off, or no address registered)
  and 入党积极分子 / 入党申请人 outside the notice's audience (both must get no email);
* a real SMTP server on 127.0.0.1 (aiosmtpd) that timestamps every message it accepts, with
  its recipients and its connection;
* the platforms' local robot servers of the delivery tests (tests/delivery/robot_servers.py:
  they verify signatures and timestamp windows and enforce the per-robot rate limits) for the
  committee's WeCom robot and 8 branches' robots (WeCom, signed DingTalk, signed Feishu,
  signed generic webhook), each server timestamping the message it accepts; a DEAD robot (a
  socket that accepts the connection, reads the request and never answers: our client waits
  for its read timeout) for a ninth branch and a robot address that REFUSES connections for
  a tenth;
* the product's own worker (``manage.py worker``, as ``make run`` and the systemd unit start
  it) running in its own process with the installation's settings.

Two notices to the whole 党委 (its 正式党员 and 预备党员), each sent like the office sends it
(``cms.notifications.services.save_draft`` then ``send`` as a member of the 党委 editors):

A. with the dead and the refusing robots' channels disabled (the control);
B. with both enabled.

Each round measures, from the moment ``send`` is called: when the office's ``send`` returned
(the admin request's own work), the first and the last email accepted by the SMTP server,
when each healthy robot accepted its message, and (B) when the dead robot's connection was
opened and when our client gave up on it. Emails are checked against the database: every
address that should get one got exactly one, nobody else got any. The dead robot "does not
delay the others" when the healthy robots' latency in B is that of A (ratio B / A), and the
emails' is too. Afterwards the delivery log: the dead and refusing robots retrying with
their last error, everything else sent.

    .venv/bin/python bench/notice_fanout.py [--members 10000] [--database bench_notice_fanout]
        [--json bench/var/notice_fanout.json] [--keep]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); creates and drops its own database.
The one delivery setting changed from the defaults is DELIVERY_ALLOWED_HTTP_HOSTS=127.0.0.1
(the local robots speak plain http; production robots are https).
"""

from __future__ import annotations

import argparse
import email
import email.header
import email.policy
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_info  # noqa: E402
from bench.form_submissions import PG, psql  # noqa: E402
from tests.delivery.robot_servers import (  # noqa: E402
    DingTalkServer,
    FeishuServer,
    WeComServer,
    WebhookServer,
    dead_address,
    free_port,
)
from tests.production import Installation  # noqa: E402

GENERAL_BRANCHES = 5
BRANCHES = 50
TITLES = {
    "A": "关于开展2026年度民主评议党员工作的通知",
    "B": "关于召开2026年度专题组织生活会的通知",
}
#: Branch number (1-based) → (platform, signed): the healthy branch robots.
HEALTHY_BRANCH_ROBOTS = {
    1: ("wecom", False),
    2: ("dingtalk", True),
    3: ("feishu", True),
    4: ("webhook", True),
    11: ("wecom", False),
    12: ("dingtalk", True),
    13: ("feishu", True),
    14: ("webhook", True),
}
DEAD_BRANCH, REFUSING_BRANCH = 21, 22
SERVER_CLASSES = {"wecom": WeComServer, "dingtalk": DingTalkServer, "feishu": FeishuServer, "webhook": WebhookServer}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文斌晓东海燕"


# Local servers ------------------------------------------------------------------------------


class Mailbox:
    """What the SMTP server accepted: (time, recipients, connection, raw message)."""

    def __init__(self):
        self.messages: list[tuple[float, list[str], tuple, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((time.time(), list(envelope.rcpt_tos), session.peer, envelope.original_content))
        return "250 OK"


def timed(cls):
    """A platform's robot server that also notes when it accepted each message."""

    class Timed(cls):
        def __init__(self):
            super().__init__()
            self.accepted: list[tuple[float, str]] = []  # (time, the message as JSON)

        def handle(self, request):
            before = len(self.received)
            answer = super().handle(request)
            if len(self.received) > before:
                self.accepted.append((time.time(), json.dumps(self.received[-1], ensure_ascii=False)))
            return answer

    Timed.__name__ = f"Timed{cls.__name__}"
    return Timed


class DeadRobot:
    """Accepts connections, reads what is sent and never answers (a hung gateway or a robot
    behind a black-holing proxy): the client decides when to give up."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.connections: list[dict] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/robot/send?access_token=dead-robot-token-0001"

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            entry = {"accepted": time.time(), "closed": None, "bytes": 0}
            self.connections.append(entry)
            threading.Thread(target=self._hold, args=(conn, entry), daemon=True).start()

    @staticmethod
    def _hold(conn, entry):
        try:
            while chunk := conn.recv(65536):
                entry["bytes"] += len(chunk)
        except OSError:
            pass
        entry["closed"] = time.time()  # the client gave up and closed its end
        conn.close()

    def stop(self):
        self.sock.close()


# Seed and send (in this process, against the installation's database) ------------------------


def seed(rng: random.Random, members: int, opted_out: int, no_address: int, outside: int) -> dict:
    from django.contrib.auth.models import Group

    from cms.accounts.models import MemberStatus, Membership, OrganisationUnit, User
    from cms.accounts.roles import EDITOR
    from cms.delivery.models import EmailPreference

    Kind = OrganisationUnit.Kind
    committee = OrganisationUnit.objects.create(name="中共某某集团有限公司委员会", kind=Kind.COMMITTEE)
    generals = [
        OrganisationUnit.objects.create(
            name=f"{name}党总支", kind=Kind.GENERAL_BRANCH, parent=committee, sort_order=i + 1
        )
        for i, name in enumerate(["机关", "第一分公司", "第二分公司", "研究院", "物流中心"])
    ]
    branches = [
        OrganisationUnit.objects.create(
            name=f"第{i + 1}党支部", kind=Kind.BRANCH, parent=generals[i % GENERAL_BRANCHES], sort_order=i + 1
        )
        for i in range(BRANCHES)
    ]
    # Branches of uneven size (a few large production branches, many small office ones).
    weights = [rng.lognormvariate(0, 0.6) for _ in branches]
    office = User.objects.create(
        username="office", first_name="党委办公室", email="office@example.com.cn", organisation=committee, is_staff=True
    )
    office.set_unusable_password()
    office.save()
    office.groups.add(Group.objects.get(name=EDITOR))

    people = []  # (user, status, email choice)
    kinds = (
        [("member", True)] * members
        + [("member", False)] * opted_out
        + [("no_address", False)] * no_address
        + [("outside", True)] * outside
    )
    for i, (kind, wants_email) in enumerate(kinds):
        if kind == "outside":
            status = rng.choice([MemberStatus.ACTIVIST, MemberStatus.APPLICANT, MemberStatus.CANDIDATE])
        else:
            status = MemberStatus.PROBATIONARY if rng.random() < 0.08 else MemberStatus.FULL
        user = User(
            username=f"dy{i:05d}",
            first_name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2))),
            email="" if kind == "no_address" else f"dy{i:05d}@example.com.cn",
            password="!bench-no-login",
            # Every branch has members; the rest spread by the branches' weights.
            organisation=branches[i] if i < len(branches) else rng.choices(branches, weights)[0],
        )
        people.append((user, status, wants_email))
    User.objects.bulk_create([user for user, _, _ in people], batch_size=1000)
    by_name = {u.username: u for u in User.objects.filter(username__startswith="dy")}
    Membership.objects.bulk_create(
        [Membership(user=by_name[u.username], status=status) for u, status, _ in people], batch_size=1000
    )
    EmailPreference.objects.bulk_create(
        [EmailPreference(user=by_name[u.username], notices=True) for u, _, wants in people if wants], batch_size=1000
    )
    EmailPreference.objects.bulk_create(
        [
            EmailPreference(user=by_name[u.username], notices=False)
            for u, status, wants in people
            if not wants and u.email
        ],
        batch_size=1000,
    )
    in_audience = [(u, w) for u, status, w in people if status in (MemberStatus.FULL, MemberStatus.PROBATIONARY)]
    sizes = Counter(u.organisation.name for u, _, _ in people)
    return {
        "committee": committee,
        "branches": branches,
        "office": office,
        "audience": len(in_audience),
        "expected_emails": sorted(u.email for u, wants in in_audience if wants and u.email),
        "branch_sizes": {"smallest": min(sizes.values()), "largest": max(sizes.values())},
    }


def make_channels(world: dict, servers: dict, dead: DeadRobot) -> dict:
    from cms.delivery.models import Channel

    branches, channels = world["branches"], {}
    committee_robot = servers["committee"]
    channels["committee"] = Channel.objects.create(
        name="党委办公室企业微信群", unit=world["committee"], kind="wecom", address=committee_robot.address()
    )
    for number, (kind, signed) in HEALTHY_BRANCH_ROBOTS.items():
        server = servers[f"branch{number}"]
        channels[f"branch{number}"] = Channel.objects.create(
            name=f"第{number}党支部{ {'wecom': '企业微信群', 'dingtalk': '钉钉群', 'feishu': '飞书群'}.get(kind, 'Webhook') }",
            unit=branches[number - 1],
            kind=kind,
            address=server.address(),
            secret=server.secret if signed else "",
        )
    channels["dead"] = Channel.objects.create(
        name=f"第{DEAD_BRANCH}党支部钉钉群（无响应）",
        unit=branches[DEAD_BRANCH - 1],
        kind="dingtalk",
        address=dead.address,
        secret="SECdeadrobot0000000000000000000000",
        enabled=False,
    )
    channels["refusing"] = Channel.objects.create(
        name=f"第{REFUSING_BRANCH}党支部企业微信群（拒绝连接）",
        unit=branches[REFUSING_BRANCH - 1],
        kind="wecom",
        address=dead_address("/cgi-bin/webhook/send?key=refused-robot-key-0001"),
        enabled=False,
    )
    return channels


def send_notice(world: dict, title: str) -> dict:
    """What the office's 发送 does: save the draft, then send it (the admin request)."""
    import datetime as dt

    from django.utils import timezone

    from cms.accounts.models import MemberStatus
    from cms.notifications import services as notices

    office = world["office"]
    notice = notices.save_draft(
        office,
        None,
        title=title,
        body="各党支部：\n请按要求组织党员参加，并于截止时间前在党员之家确认。\n党委办公室",
        kind="meeting",
        sender_unit=world["committee"],
        audience_units=[world["committee"]],
        audience_statuses=[MemberStatus.FULL, MemberStatus.PROBATIONARY],
        requires_confirmation=True,
        requires_reply=False,
        deadline=timezone.now() + dt.timedelta(days=7),
    )
    office = type(office).objects.get(pk=office.pk)  # a fresh request's user
    started = time.time()
    recipients = notices.send(office, notice)
    return {"notice": notice.pk, "started": started, "returned": time.time(), "recipients": recipients}


def pg_stats(database: str) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT xact_commit, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = %s", [database]
        )
        commits, inserted, updated = cursor.fetchone()
    return {"commits": commits, "inserted": inserted, "updated": updated}


def email_backlog(title: str) -> int:
    from cms.delivery.models import Delivery

    return (
        Delivery.objects.filter(title__contains=title, channel__isnull=True)
        .exclude(status__in=[Delivery.Status.SENT, Delivery.Status.FAILED, Delivery.Status.DROPPED])
        .count()
    )


def log_states(title: str) -> dict:
    from cms.delivery.models import Channel, Delivery

    rows = Delivery.objects.filter(title__contains=title)
    out = {"email": dict(Counter(rows.filter(channel__isnull=True).values_list("status", flat=True)))}
    for row in rows.filter(channel__isnull=False).select_related("channel"):
        out[row.channel.name] = {
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "sent_at": row.sent_at.timestamp() if row.sent_at else None,
            "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
        }
    out["channels"] = {
        c.name: {"health": c.health, "last_error": c.last_error}
        for c in Channel.objects.filter(name__contains="无响应") | Channel.objects.filter(name__contains="拒绝连接")
    }
    return out


# Measuring a round ------------------------------------------------------------------------------


def subject_of(raw: bytes) -> str:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    return str(message["Subject"] or "")


def robots_reached(title: str, channels: dict) -> set[str]:
    """The healthy robots the notice was queued for (a branch without recipients gets none)."""
    from cms.delivery.models import Delivery

    queued = set(Delivery.objects.filter(title__contains=title).values_list("channel_id", flat=True))
    return {name for name, channel in channels.items() if channel.pk in queued}


def run_round(label, world, servers, channels, dead, mailbox, database, timeout) -> dict:
    title = TITLES[label]
    mail_before = len(mailbox.messages)
    stats_before = pg_stats(database)
    load_before = os.getloadavg()
    sent = send_notice(world, title)
    t0 = sent["started"]
    expected = len(world["expected_emails"])
    print(
        f"  round {label}: send() returned after {sent['returned'] - t0:.2f} s ({sent['recipients']} recipients); "
        "waiting for the emails and robots …",
        flush=True,
    )

    healthy = {name: servers[name] for name in sorted(robots_reached(title, channels) & set(servers))}

    def robots_done():
        return all(any(title in text for _, text in server.accepted) for server in healthy.values())

    deadline = time.time() + timeout
    last_report = time.time()
    while time.time() < deadline:
        got = len(mailbox.messages) - mail_before
        if got >= expected and robots_done() and email_backlog(title) == 0:
            break
        if time.time() - last_report > 15:
            print(f"    {time.time() - t0:.0f} s: {got}/{expected} emails", flush=True)
            last_report = time.time()
        time.sleep(0.2)
    finished = time.time()
    time.sleep(3)  # anything sent twice would arrive now
    load_after = os.getloadavg()
    stats_after = pg_stats(database)

    mine = [m for m in mailbox.messages[mail_before:] if title in subject_of(m[3])]
    times = sorted(m[0] for m in mine)
    recipients = Counter(address for m in mine for address in m[1])
    expected_set = set(world["expected_emails"])
    gaps = [b - a for a, b in zip([t0, *times], times, strict=False)]
    log = log_states(title)
    robots = {}
    for name, server in healthy.items():
        moments = [t for t, text in server.accepted if title in text]
        logged = log.get(channels[name].name, {}).get("sent_at")
        robots[name] = {
            "latency": (min(moments) - t0) if moments else None,
            "messages": len(moments),
            # When the delivery log says 已发送 (what the admin shows).
            "logged": (logged - t0) if logged else None,
        }
    dead_connections = [
        {
            "opened": round(c["accepted"] - t0, 3),
            "closed": round(c["closed"] - t0, 3) if c["closed"] else None,
            "held": round(c["closed"] - c["accepted"], 3) if c["closed"] else None,
        }
        for c in dead.connections
        if c["accepted"] >= t0
    ]
    per_connection = Counter(m[2] for m in mine)
    return {
        "title": title,
        "recipients": sent["recipients"],
        "send_returned": sent["returned"] - t0,
        "waited_until": finished - t0,
        "emails": {
            "expected": expected,
            "messages": len(mine),
            "recipients": sum(recipients.values()),
            "distinct": len(recipients),
            "lost": sorted(expected_set - set(recipients))[:20],
            "lost_count": len(expected_set - set(recipients)),
            "duplicated_count": sum(1 for n in recipients.values() if n > 1),
            "unexpected_count": len(set(recipients) - expected_set),
            "first": (times[0] - t0) if times else None,
            "last": (times[-1] - t0) if times else None,
            "median": (times[len(times) // 2] - t0) if times else None,
            "rate_per_s": len(times) / (times[-1] - times[0]) if len(times) > 1 else None,
            "smtp_connections": len(per_connection),
            "stalls_over_2s": [(round(g, 2)) for g in gaps if g > 2.0],
            "stalled_seconds": sum(g for g in gaps[1:] if g > 2.0),
        },
        "robots": robots,
        "dead_connections": dead_connections,
        "log": log,
        "database": {key: stats_after[key] - stats_before[key] for key in stats_before},
        "load_before": load_before,
        "load_after": load_after,
    }


# Main -------------------------------------------------------------------------------------------


def start_worker(installation: Installation, work: Path) -> subprocess.Popen:
    log = open(work / "worker.log", "w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=ROOT,
        env=installation.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        if "后台任务进程已启动" in (work / "worker.log").read_text(errors="replace"):
            return process
        if process.poll() is not None:
            raise RuntimeError("the worker exited:\n" + (work / "worker.log").read_text(errors="replace"))
        time.sleep(0.2)
    raise RuntimeError("the worker did not start within 120 s")


def fmt(value, unit=" s", digits=2) -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def summary(result: dict) -> list[str]:
    a, b = result["rounds"]["A"], result["rounds"]["B"]
    lines = [
        f"machine: {result['machine']}; load average (1/5/15 min) before "
        f"{'/'.join(f'{x:.2f}' for x in result['load_before'])}, after "
        f"{'/'.join(f'{x:.2f}' for x in result['load_after'])}",
        f"organisation: 1 党委, {GENERAL_BRANCHES} 党总支, {BRANCHES} 党支部 "
        f"({result['branch_sizes']['smallest']}–{result['branch_sizes']['largest']} people each); "
        f"people: {result['people']}; the notice's audience (正式党员 + 预备党员 of the whole 党委): "
        f"{result['audience']}, of whom {result['expected_emails']} chose email "
        f"({result['opted_out']} chose no email, {result['no_address']} have no address registered; "
        f"{result['outside']} 入党积极分子/申请人/发展对象 outside the audience)",
        f"robots: {len(a['robots'])} healthy (the 党委's WeCom and 8 branches': WeCom, signed DingTalk, signed "
        "Feishu, signed webhook), one dead (accepts, never answers), one refusing connections; "
        f"delivery settings: the product's defaults (read timeout {result['settings']['timeout']} s, connect "
        f"{result['settings']['connect']} s, {result['settings']['task_max']} s per task run)",
        f"seeding: {result['seed_seconds']:.1f} s (not measured)",
        "",
        "| from send() called | A: dead robot off | B: dead robot on | B / A |",
        "|---|---|---|---|",
    ]

    def row(name, va, vb):
        ratio = f"{vb / va:.2f}x" if va and vb is not None else "—"
        lines.append(f"| {name} | {fmt(va)} | {fmt(vb)} | {ratio} |")

    row("the office's send() returned", a["send_returned"], b["send_returned"])
    row("first email accepted by SMTP", a["emails"]["first"], b["emails"]["first"])
    row("median email", a["emails"]["median"], b["emails"]["median"])
    row("**last email accepted by SMTP**", a["emails"]["last"], b["emails"]["last"])
    lat_a = [r["latency"] for r in a["robots"].values() if r["latency"] is not None]
    lat_b = [r["latency"] for r in b["robots"].values() if r["latency"] is not None]
    row("healthy robots: first accepted", min(lat_a, default=None), min(lat_b, default=None))
    row("**healthy robots: last accepted**", max(lat_a, default=None), max(lat_b, default=None))
    # After the office's request returned (the rows are committed): what the worker adds.
    row(
        "healthy robots: last accepted, after send() returned",
        max(lat_a, default=a["send_returned"]) - a["send_returned"],
        max(lat_b, default=b["send_returned"]) - b["send_returned"],
    )
    row(
        "last email, after send() returned",
        a["emails"]["last"] - a["send_returned"] if a["emails"]["last"] else None,
        b["emails"]["last"] - b["send_returned"] if b["emails"]["last"] else None,
    )
    log_a = [r["logged"] for r in a["robots"].values() if r["logged"] is not None]
    log_b = [r["logged"] for r in b["robots"].values() if r["logged"] is not None]
    row("healthy robots: last shown 已发送 in the log", max(log_a, default=None), max(log_b, default=None))
    for name in a["robots"]:
        row(f"— {name}", a["robots"][name]["latency"], b["robots"].get(name, {}).get("latency"))
    lines.append("")
    for label, r in (("A", a), ("B", b)):
        e = r["emails"]
        lines.append(
            f"round {label}: emails expected {e['expected']}, messages {e['messages']}, recipients {e['recipients']} "
            f"({e['distinct']} distinct), lost {e['lost_count']}, duplicated {e['duplicated_count']}, unexpected "
            f"{e['unexpected_count']}; {fmt(e['rate_per_s'], '/s', 0)} between the first and the last; "
            f"{e['smtp_connections']} SMTP connections; stalls > 2 s: {e['stalls_over_2s'] or 'none'}; "
            f"database: {r['database']['commits']} commits, {r['database']['updated']} rows updated, "
            f"{r['database']['inserted']} inserted; load {r['load_before'][0]:.2f} → {r['load_after'][0]:.2f}"
        )
    lines.append("")
    for c in b["dead_connections"]:
        lines.append(
            f"dead robot (B): connection opened at {c['opened']:.2f} s, our client gave up at "
            f"{fmt(c['closed'])} (held {fmt(c['held'])})"
        )
    lines.append("delivery log after round B:")
    for name, state in b["log"].items():
        if name in ("channels",):
            continue
        lines.append(f"  {name}: {json.dumps(state, ensure_ascii=False)}")
    for name, state in b["log"]["channels"].items():
        lines.append(f"  channel {name}: {state['health']}; {state['last_error']}")
    lines.append("RESULT: " + result["verdict"])
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000, help="Party members in the audience who chose email")
    parser.add_argument("--opted-out", type=int, default=300, help="members in the audience who chose no email")
    parser.add_argument("--no-address", type=int, default=200, help="members in the audience without an address")
    parser.add_argument("--outside", type=int, default=500, help="activists/applicants outside the audience")
    parser.add_argument("--database", default="bench_notice_fanout")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for a round")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "var" / "notice_fanout.json")
    parser.add_argument(
        "--order", choices=["AB", "BA"], default="AB", help="which round first (the later one has a fuller log table)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and files afterwards")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # clean up (worker, database) when stopped

    from aiosmtpd.controller import Controller

    work = ROOT / "bench" / "var" / "notice-fanout"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    psql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    psql(f"CREATE DATABASE {args.database}")

    mailbox = Mailbox()
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    servers = {"committee": timed(WeComServer)().start()}
    for number, (kind, signed) in HEALTHY_BRANCH_ROBOTS.items():
        server = timed(SERVER_CLASSES[kind])().start()
        if signed:
            server.secret = f"SEC{kind}{number:02d}" + "0" * 24
        servers[f"branch{number}"] = server
    dead = DeadRobot()
    installation = Installation(
        work,
        f"{PG}/{args.database}",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        DELIVERY_ALLOWED_HTTP_HOSTS="127.0.0.1",
        PUBLIC_SITE_URL="https://dangjian.example.com.cn/",
        CMS_LOG_LEVEL="WARNING",
    )
    worker = None
    result: dict = {"command": " ".join([".venv/bin/python", "bench/notice_fanout.py", *sys.argv[1:]])}
    try:
        print("deploying (migrate, roles, cache table) …", flush=True)
        installation.manage("migrate", "--no-input", "-v0")
        installation.manage("setup_roles")
        installation.manage("createcachetable")
        os.environ.update(installation.env)
        import django

        django.setup()
        from django.conf import settings

        rng = random.Random(14)
        began = time.monotonic()
        people = args.members + args.opted_out + args.no_address + args.outside
        print(f"seeding {people} people in {BRANCHES} branches, {len(servers) + 2} robot channels …", flush=True)
        world = seed(rng, args.members, args.opted_out, args.no_address, args.outside)
        channels = make_channels(world, servers, dead)
        result.update(
            seed_seconds=time.monotonic() - began,
            people=people,
            audience=world["audience"],
            expected_emails=len(world["expected_emails"]),
            opted_out=args.opted_out,
            no_address=args.no_address,
            outside=args.outside,
            branch_sizes=world["branch_sizes"],
            settings={
                "timeout": settings.DELIVERY_TIMEOUT_SECONDS,
                "connect": settings.DELIVERY_CONNECT_TIMEOUT_SECONDS,
                "task_max": settings.DELIVERY_TASK_MAX_SECONDS,
            },
        )
        print("starting the worker (manage.py worker) …", flush=True)
        worker = start_worker(installation, work)
        time.sleep(3)  # its start-up jobs (publish_scheduled, recovery, the delivery check) are done
        result["load_before"] = os.getloadavg()
        result["rounds"] = {}
        from cms.delivery.models import Channel

        for label in args.order:
            # A: the dead and the refusing robots' channels disabled; B: enabled.
            Channel.objects.filter(pk__in=[channels["dead"].pk, channels["refusing"].pk]).update(enabled=label == "B")
            time.sleep(2)
            state = "disabled" if label == "A" else "enabled"
            print(f"round {label}: the dead and the refusing robot {state} …", flush=True)
            result["rounds"][label] = run_round(
                label, world, servers, channels, dead, mailbox, args.database, args.timeout
            )
        result["load_after"] = os.getloadavg()
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        smtp.stop()
        for server in servers.values():
            server.stop()
        dead.stop()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
            shutil.rmtree(work, ignore_errors=True)

    result["machine"] = machine_info()
    a, b = result["rounds"]["A"], result["rounds"]["B"]
    complete = all(
        r["emails"]["lost_count"] == 0
        and r["emails"]["duplicated_count"] == 0
        and r["emails"]["unexpected_count"] == 0
        and r["emails"]["messages"] == r["emails"]["expected"]
        and all(robot["messages"] == 1 for robot in r["robots"].values())
        for r in (a, b)
    )
    healthy_ratio = max(r["latency"] for r in b["robots"].values()) / max(r["latency"] for r in a["robots"].values())
    result["ratios"] = {
        "healthy_robots_last": healthy_ratio,
        "last_email": b["emails"]["last"] / a["emails"]["last"],
    }
    result["verdict"] = (
        ("every member emailed exactly once, every healthy robot got its message once" if complete else "FAILED")
        + f"; healthy robots with the dead one / without: {healthy_ratio:.2f}x, last email "
        f"{result['ratios']['last_email']:.2f}x"
    )
    print()
    print("\n".join(summary(result)))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    print(f"\nJSON: {args.json}")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
