"""问卷结果: response rates per unit, per-question summaries and individual answers, for results
readers within their scope (``accounts.selectors.scope_of``).

* Rates come from ``Participation`` (who answered) against the audience within the scope.
  Who has not answered is listed for named forms only.
* Answers are read only where ``selectors`` allows: named answers of people in the scope;
  an anonymous form's answers (which name nobody) only when its whole audience lies within
  the scope; public forms' answers for 管理员. Anonymous answers are never shown next to a name
  and never one by one: summaries only.

A whole report costs a fixed number of queries (the forms, the tree, the people in scope,
the participations, the responses)."""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass, field

from cms.accounts.audience import UnitTree, audience_test
from cms.accounts.models import MemberStatus, Membership, User
from cms.accounts.selectors import Scope

from . import selectors
from .models import CHOICE_TYPES, PEER_GRADES, TEXT_TYPES, FeedbackFormPage, FieldType, Participation, Response

#: Words shown per text question.
TOP_WORDS = 30
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
STOP_WORDS = frozenset(
    "的 了 和 是 在 我 有 也 就 都 而 及 与 着 或 一个 没有 我们 你们 他们 这个 那个 这些 以及 "
    "可以 进行 希望 建议 问题 工作 一些 还是 但是 因为 所以 如果 不是 没有 非常 比较 对于".split()
)


def result_forms(scope: Scope) -> list[FeedbackFormPage]:
    """Forms the reader has business with: member forms reaching the scope (live ones and
    ones taken offline after being open), and public forms for 管理员."""
    if scope.is_empty:
        return []
    forms = (
        FeedbackFormPage.objects.filter(first_published_at__isnull=False)
        .prefetch_related("audience_units", "form_fields")
        .order_by("-first_published_at", "-pk")
    )
    return [form for form in forms if selectors.form_reaches(form, scope)]


def visible_result_form(scope: Scope, form_id: int) -> FeedbackFormPage | None:
    return next((form for form in result_forms(scope) if form.pk == form_id), None)


def percent_label(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with one decimal, rounded down (so 99.96% never
    shows as 100%, as in 学习进度); "—" when there is no whole."""
    if not whole:
        return "—"
    permille = part * 1000 // whole
    return f"{permille // 10}.{permille % 10}%" if permille % 10 else f"{permille // 10}%"


def bar_step(part: float, whole: float) -> int:
    """The width of a drawn bar in 5 % steps (0, 5 … 100), one CSS class per step, since the
    admin's bars carry no inline style. Nearest step, except that a part above nothing never
    draws as empty and a part below the whole never draws as full: the eye reads those two."""
    if not whole or part <= 0:
        return 0
    if part >= whole:
        return 100
    return min(95, max(5, round(part * 20 / whole) * 5))


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: the numbers are shown as text next to it."""

    label: str
    count: int
    total: int

    @property
    def percent(self) -> str:
        return percent_label(self.count, self.total)

    @property
    def step(self) -> int:
        return bar_step(self.count, self.total)


@dataclass
class UnitRate:
    unit_id: int | None
    unit_name: str
    audience: int = 0
    answered: int = 0
    not_answered: list[User] = field(default_factory=list)

    @property
    def rate_label(self) -> str:
        return percent_label(self.answered, self.audience)

    @property
    def rate_step(self) -> int:
        return bar_step(self.answered, self.audience)


@dataclass
class QuestionSummary:
    field: dict
    answered: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)  # choices, grades, rating values
    average: float | None = None
    words: list[tuple[str, int]] = field(default_factory=list)
    people: list[tuple[str, list[tuple[str, int]]]] = field(default_factory=list)  # peer review

    @property
    def kind(self) -> str:
        return self.field["type"]

    @property
    def type_label(self) -> str:
        return FieldType(self.kind).label

    @property
    def bars(self) -> list[Bar]:
        """Choices, grades or rating values against the people who answered the question
        (a multiple choice's shares may add up to more than 100 %)."""
        unit = " 分" if self.kind == FieldType.RATING else ""
        return [Bar(f"{label}{unit}", count, self.answered) for label, count in self.counts]

    @property
    def word_bars(self) -> list[Bar]:
        """The frequent words against the most frequent one."""
        top = self.words[0][1] if self.words else 0
        return [Bar(word, count, top) for word, count in self.words]

    @property
    def average_step(self) -> int:
        """A rating's average on the 1–5 scale, as a bar out of the top mark."""
        if self.average is None or self.kind != FieldType.RATING:
            return 0
        return bar_step(self.average, selectors.RATING_MAX)


@dataclass
class FormResults:
    form: FeedbackFormPage
    units: list[UnitRate]
    can_read_answers: bool
    responses: list[Response]  # readable ones; named forms carry the person
    questions: list[QuestionSummary]

    @property
    def audience(self) -> int:
        return sum(u.audience for u in self.units)

    @property
    def answered(self) -> int:
        return sum(u.answered for u in self.units)

    @property
    def rate_label(self) -> str:
        return percent_label(self.answered, self.audience)

    @property
    def rate_step(self) -> int:
        return bar_step(self.answered, self.audience)

    @property
    def shows_names(self) -> bool:
        return not self.form.anonymous and not self.form.is_public_form()


def people_in(scope: Scope) -> list[Membership]:
    records = (
        Membership.objects.exclude(status=MemberStatus.TRANSFERRED_OUT)
        .filter(user__is_active=True)
        .select_related("user", "user__organisation")
    )
    if not scope.everything:
        records = records.filter(user__organisation_id__in=scope.unit_ids)
    return list(records)


def unit_rates(
    form: FeedbackFormPage, scope: Scope, tree: UnitTree | None = None, people: list[Membership] | None = None
) -> list[UnitRate]:
    """Per unit of the people in the form's audience within the scope: how many answered.
    Pass ``tree`` and ``people`` (``people_in``) when reporting on many forms."""
    if form.is_public_form():
        return []
    tree = tree or UnitTree()
    people = people if people is not None else people_in(scope)
    in_audience, _ = audience_test(form, tree)
    answered = set(Participation.objects.filter(form=form).values_list("user_id", flat=True))
    rates: dict[int | None, UnitRate] = {}
    for record in people:
        if not in_audience(record):
            continue
        unit = record.user.organisation
        rate = rates.setdefault(
            unit.pk if unit else None, UnitRate(unit.pk if unit else None, unit.name if unit else "（无组织）")
        )
        rate.audience += 1
        if record.user_id in answered:
            rate.answered += 1
        elif not form.anonymous:
            rate.not_answered.append(record.user)
    for rate in rates.values():
        rate.not_answered.sort(key=lambda user: user.username)
    return sorted(rates.values(), key=lambda r: (r.unit_id is None, tree.order.get(r.unit_id, ())))


def readable_responses(form: FeedbackFormPage, scope: Scope) -> list[Response] | None:
    """The responses whose answers the reader may see (None: none of this form's)."""
    responses = Response.objects.filter(form=form)
    if form.anonymous or form.is_public_form():
        if not selectors.can_read_anonymous_answers(form, scope):
            return None
        return list(responses.order_by("pk"))  # random UUIDs: no order of arrival
    responses = responses.select_related("user", "user__organisation").order_by("user__username")
    if not scope.everything:
        responses = responses.filter(user__organisation_id__in=scope.unit_ids)
    return list(responses)


def words_of(texts: list[str]) -> list[tuple[str, int]]:
    """The most frequent words of the answers, segmented as the site search segments (jieba's
    words with the Party-term dictionary: 三会一课 is one word)."""
    from build_scripts.search_index import tokenizer

    segmenter = tokenizer()
    counter = collections.Counter()
    for text in texts:
        for word in segmenter.cut(text):
            word = word.strip()
            if len(word) >= 2 and _WORD.search(word) and word not in STOP_WORDS:
                counter[word] += 1
    return counter.most_common(TOP_WORDS)


def summarise(
    definition: list[dict], responses: list[Response], *, peer_names: dict[str, str]
) -> list[QuestionSummary]:
    summaries = []
    for spec in definition:
        if spec["type"] == FieldType.SECTION:
            continue
        name = spec["name"]
        values = [r.answers[name] for r in responses if name in r.answers]
        summary = QuestionSummary(field=spec, answered=len(values))
        kind = spec["type"]
        if kind in CHOICE_TYPES:
            counter = collections.Counter(
                v for value in values for v in (value if isinstance(value, list) else [value])
            )
            summary.counts = [(choice, counter.get(choice, 0)) for choice in spec["choices"]]
        elif kind == FieldType.RATING:
            counter = collections.Counter(values)
            summary.counts = [
                (str(n), counter.get(n, 0)) for n in range(selectors.RATING_MIN, selectors.RATING_MAX + 1)
            ]
            summary.average = round(sum(values) / len(values), 2) if values else None
        elif kind == FieldType.NUMBER:
            summary.average = round(sum(values) / len(values), 2) if values else None
        elif kind in TEXT_TYPES:
            summary.words = words_of([v for v in values if isinstance(v, str)])
        elif kind == FieldType.PEER_REVIEW:
            per_person: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
            for value in values:
                for person_id, entry in value.items():
                    per_person[person_id][entry["grade"]] += 1
            summary.people = sorted(
                (
                    (peer_names.get(pid, f"（人员 {pid}）"), [(g, counter.get(g, 0)) for g in PEER_GRADES])
                    for pid, counter in per_person.items()
                ),
                key=lambda item: item[0],
            )
        summaries.append(summary)
    return summaries


def form_results(form: FeedbackFormPage, scope: Scope) -> FormResults:
    tree = UnitTree()
    rates = unit_rates(form, scope, tree)
    responses = readable_responses(form, scope)
    definition = selectors.form_definition(form)
    peer_names = peer_names_of(definition, responses or [])
    questions = summarise(definition, responses, peer_names=peer_names) if responses is not None else []
    return FormResults(
        form=form, units=rates, can_read_answers=responses is not None, responses=responses or [], questions=questions
    )


def answer_text(spec: dict, value, peer_names: dict[str, str] | None = None) -> str:
    """One answer as a line of text (for the drill-down and the export)."""
    if value is None:
        return ""
    if spec["type"] == FieldType.CHECKBOXES:
        return "、".join(value)
    if spec["type"] == FieldType.PEER_REVIEW:
        names = peer_names or {}
        return "；".join(
            f"{names.get(pid, pid)}：{entry['grade']}" + (f"（{entry['comment']}）" if entry.get("comment") else "")
            for pid, entry in value.items()
        )
    if spec["type"] == FieldType.FILE:
        return "附件"
    return str(value)


def peer_names_of(definition: list[dict], responses: list[Response]) -> dict[str, str]:
    ids = {
        pid
        for r in responses
        for spec in definition
        if spec["type"] == FieldType.PEER_REVIEW
        for pid in (r.answers.get(spec["name"]) or {})
        if str(pid).isdigit()
    }
    return {str(u.pk): u.display_name for u in User.objects.filter(pk__in=[int(p) for p in ids])}
