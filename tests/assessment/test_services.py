"""Starting, resuming, saving, grading, time limits, mastery and the notebook, through the
services the API calls."""

import datetime
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cms.accounts.models import MemberStatus
from cms.assessment import selectors, services
from cms.assessment.answers import QuestionType
from cms.assessment.models import Attempt, AttemptAnswer, Mastery, MultipleChoiceRule, NotebookEntry, QuizKind
from tests.assessment.conftest import hand_in, key, member, shown_key
from tests.assessment.factories import KnowledgePointFactory, QuestionFactory, QuizFactory

NOW = timezone.now()


@pytest.fixture
def bank(root):
    point = KnowledgePointFactory(name="党史")
    other = KnowledgePointFactory(name="党章")
    single = QuestionFactory(knowledge_points=[point])
    multiple = QuestionFactory(
        type=QuestionType.MULTIPLE,
        stem="党的三大作风是？",
        option_a="理论联系实际",
        option_b="密切联系群众",
        option_c="批评与自我批评",
        option_d="艰苦奋斗",
        answer="ABC",
        knowledge_points=[point],
    )
    true_false = QuestionFactory(
        type=QuestionType.TRUE_FALSE, stem="党员有表决权。", answer="对", knowledge_points=[other]
    )
    blank = QuestionFactory(
        type=QuestionType.FILL_BLANK,
        stem="党的最高理想是实现____主义，首次会议在____召开。",
        answer="共产|共产主义；上海",
        knowledge_points=[other],
    )
    return type(
        "Bank",
        (),
        {
            "point": point,
            "other": other,
            "single": single,
            "multiple": multiple,
            "true_false": true_false,
            "blank": blank,
            "all": [single, multiple, true_false, blank],
        },
    )


@pytest.fixture
def person(org):
    return member(org.first, MemberStatus.FULL, username="xuexi")


def answer_all_right(person, attempt, bank, *, now=NOW):
    services.save_answer(person, attempt.pk, bank.single.pk, [shown_key(attempt, bank.single, "B")], now=now)
    services.save_answer(
        person, attempt.pk, bank.multiple.pk, [shown_key(attempt, bank.multiple, letter) for letter in "ABC"], now=now
    )
    services.save_answer(person, attempt.pk, bank.true_false.pk, ["A"], now=now)
    services.save_answer(person, attempt.pk, bank.blank.pk, ["共产主义", "上海"], now=now)


def test_a_quiz_is_graded_on_the_server_with_the_options_shown_shuffled(person, bank, org):
    quiz = QuizFactory(questions=bank.all, audience_units=[org.first])
    attempt, created = services.start_attempt(person, quiz, now=NOW, rng=random.Random(3))
    assert created and attempt.deadline is None
    assert [item["q"] for item in attempt.items] == [q.pk for q in bank.all]
    answer_all_right(person, attempt, bank)

    graded = hand_in(person, attempt.pk, key(), now=NOW + datetime.timedelta(minutes=3))

    assert graded.score == 100 and graded.correct_count == 4 and graded.passed and not graded.late
    assert graded.seconds_used == 180


def test_shown_keys_map_back_to_the_original_options(person, bank, org):
    quiz = QuizFactory(questions=[bank.single], audience_units=[org.first])
    for seed in range(8):  # whatever the permutation, the shown key of "1921年" is right
        attempt, _ = services.start_attempt(person, quiz, now=NOW, rng=random.Random(seed))
        options = selectors.attempt_questions(attempt)[0].options
        right = next(o["key"] for o in options if o["text"] == "1921年")
        services.save_answer(person, attempt.pk, bank.single.pk, [right], now=NOW)
        assert hand_in(person, attempt.pk, key(), now=NOW).score == 100
    assert len({tuple(a.items[0]["o"]) for a in Attempt.objects.filter(quiz=quiz)}) > 1  # really shuffled


def test_multiple_choice_rule_is_per_quiz(person, bank, org):
    strict = QuizFactory(questions=[bank.multiple], audience_units=[org.first])
    partial = QuizFactory(
        questions=[bank.multiple], audience_units=[org.first], multiple_choice_rule=MultipleChoiceRule.PARTIAL
    )
    scores = {}
    for quiz in (strict, partial):
        attempt, _ = services.start_attempt(person, quiz, now=NOW)
        services.save_answer(
            person,
            attempt.pk,
            bank.multiple.pk,
            [shown_key(attempt, bank.multiple, letter) for letter in "AB"],
            now=NOW,
        )
        scores[quiz.multiple_choice_rule] = float(hand_in(person, attempt.pk, key(), now=NOW).score)
    assert scores == {"all_or_nothing": 0.0, "partial": 66.7}

    attempt, _ = services.start_attempt(
        person,
        QuizFactory(questions=[bank.multiple], audience_units=[org.first], multiple_choice_rule="partial"),
        now=NOW,
    )
    services.save_answer(
        person, attempt.pk, bank.multiple.pk, [shown_key(attempt, bank.multiple, letter) for letter in "AD"], now=NOW
    )
    assert hand_in(person, attempt.pk, key(), now=NOW).score == 0  # a wrong option: nothing


def test_fill_blank_tolerates_width_spacing_and_case(person, org, root):
    question = QuestionFactory(
        type=QuestionType.FILL_BLANK, stem="____年，中共一大在____召开。", answer="1921|一九二一；Shang Hai|上海"
    )
    quiz = QuizFactory(questions=[question], audience_units=[org.first], attempt_limit=None)
    for given, expected in (
        (["１９２１", " ｓｈａｎｇｈａｉ "], 100),
        (["一九 二一", "上　海"], 100),
        (["1922", "上海"], 0),
        (["1921"], None),
    ):
        attempt, _ = services.start_attempt(person, quiz, now=NOW)
        if expected is None:
            with pytest.raises(ValidationError):
                services.save_answer(person, attempt.pk, question.pk, given, now=NOW)
            continue
        services.save_answer(person, attempt.pk, question.pk, given, now=NOW)
        assert hand_in(person, attempt.pk, key(), now=NOW).score == expected, given


def test_starting_again_resumes_the_open_attempt_with_its_answers_and_remaining_time(person, bank, org):
    quiz = QuizFactory(questions=bank.all, audience_units=[org.first], time_limit_minutes=10)
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    services.save_answer(person, attempt.pk, bank.true_false.pk, ["B"], now=NOW + datetime.timedelta(minutes=2))

    again, created = services.start_attempt(person, quiz, now=NOW + datetime.timedelta(minutes=4))

    assert not created and again.pk == attempt.pk and again.items == attempt.items
    assert selectors.saved_answers(again)[bank.true_false.pk].answer == ["B"]
    assert selectors.remaining_seconds(again, NOW + datetime.timedelta(minutes=4)) == 360


def test_the_server_enforces_the_time_limit(person, bank, org):
    quiz = QuizFactory(questions=bank.all, audience_units=[org.first], time_limit_minutes=10)
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    answer_all_right(person, attempt, bank, now=NOW + datetime.timedelta(minutes=9))
    with pytest.raises(services.Refused) as refused:
        services.save_answer(person, attempt.pk, bank.single.pk, ["A"], now=NOW + datetime.timedelta(minutes=11))
    assert refused.value.code == "time_up"

    late = hand_in(person, attempt.pk, key(), now=NOW + datetime.timedelta(minutes=15))

    assert late.late and late.score == 100  # graded from what was saved in time
    assert late.seconds_used == 600
    assert selectors.LATE_MESSAGE.startswith("已超过答题时限")


def test_a_submit_within_the_grace_is_not_late(person, bank, org):
    quiz = QuizFactory(questions=bank.all, audience_units=[org.first], time_limit_minutes=10)
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    graded = hand_in(person, attempt.pk, key(), now=NOW + datetime.timedelta(minutes=10, seconds=20))
    assert not graded.late and graded.score == 0


def test_an_abandoned_attempt_is_graded_as_late_when_the_member_comes_back(person, bank, org):
    quiz = QuizFactory(questions=bank.all, audience_units=[org.first], time_limit_minutes=5, attempt_limit=2)
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    services.save_answer(person, attempt.pk, bank.single.pk, [shown_key(attempt, bank.single, "B")], now=NOW)

    second, created = services.start_attempt(person, quiz, now=NOW + datetime.timedelta(hours=1))

    attempt.refresh_from_db()
    assert created and second.pk != attempt.pk
    assert attempt.submitted and attempt.late and attempt.score == 25


def test_the_same_submission_again_returns_the_same_result(person, bank, org):
    quiz = QuizFactory(questions=bank.all, audience_units=[org.first])
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    answer_all_right(person, attempt, bank)
    submission = key()
    first = hand_in(person, attempt.pk, submission, now=NOW)

    retry = hand_in(person, attempt.pk, submission, now=NOW + datetime.timedelta(minutes=1))
    other_tab = hand_in(person, attempt.pk, key(), now=NOW + datetime.timedelta(minutes=2))

    assert retry.submitted_at == other_tab.submitted_at == first.submitted_at
    assert Mastery.objects.get(user=person, knowledge_point=bank.point).answered == 2  # graded once
    with pytest.raises(services.Refused) as refused:
        services.save_answer(person, attempt.pk, bank.single.pk, ["A"], now=NOW)
    assert refused.value.code == "already_submitted"


def test_a_key_used_for_another_attempt_is_refused(person, bank, org):
    quiz = QuizFactory(questions=bank.all, audience_units=[org.first], attempt_limit=None)
    submission = key()
    first, _ = services.start_attempt(person, quiz, now=NOW)
    hand_in(person, first.pk, submission, now=NOW)
    second, _ = services.start_attempt(person, quiz, now=NOW)
    with pytest.raises(ValidationError) as error:
        hand_in(person, second.pk, submission, now=NOW)
    assert "key" in error.value.message_dict
    with pytest.raises(ValidationError):
        hand_in(person, second.pk, "not-a-uuid", now=NOW)


def test_attempt_limit_window_and_audience(person, bank, org):
    quiz = QuizFactory(
        questions=bank.all,
        audience_units=[org.first],
        attempt_limit=1,
        opens_at=NOW + datetime.timedelta(days=1),
        closes_at=NOW + datetime.timedelta(days=2),
    )
    with pytest.raises(services.Refused) as refused:
        services.start_attempt(person, quiz, now=NOW)
    assert refused.value.code == "not_open"
    opened = NOW + datetime.timedelta(days=1, hours=1)
    attempt, _ = services.start_attempt(person, quiz, now=opened)
    assert attempt.deadline == quiz.closes_at  # never after the close
    hand_in(person, attempt.pk, key(), now=opened)
    with pytest.raises(services.Refused) as refused:
        services.start_attempt(person, quiz, now=opened)
    assert refused.value.code == "attempts_exhausted"
    with pytest.raises(services.Refused) as refused:
        services.start_attempt(person, quiz, now=NOW + datetime.timedelta(days=3))
    assert refused.value.code == "closed"

    outsider = member(org.second, MemberStatus.FULL, username="outsider")
    with pytest.raises(PermissionDenied):
        services.start_attempt(outsider, quiz, now=opened)
    with pytest.raises(PermissionDenied):
        services.save_answer(outsider, attempt.pk, bank.single.pk, ["A"], now=opened)


def test_only_live_questions_are_used(person, org, root):
    live = QuestionFactory()
    draft = QuestionFactory(publish=False)
    quiz = QuizFactory(questions=[live, draft], audience_units=[org.first])
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    assert attempt.question_ids() == [live.pk]

    empty = QuizFactory(questions=[draft], audience_units=[org.first])
    with pytest.raises(services.Refused) as refused:
        services.start_attempt(person, empty, now=NOW)
    assert refused.value.code == "no_questions"


def test_rules_draw_k_per_point_and_difficulty_without_repeats(person, org, root):
    parent = KnowledgePointFactory(name="党的建设")
    child = KnowledgePointFactory(name="组织建设", parent=parent)
    easy = [QuestionFactory(difficulty=1, knowledge_points=[child]) for _ in range(4)]
    hard = [QuestionFactory(difficulty=3, knowledge_points=[parent, child]) for _ in range(3)]
    QuestionFactory(difficulty=1, knowledge_points=[child], publish=False)
    quiz = QuizFactory(rules=[(parent, 1, 3), (child, None, 10)], audience_units=[org.first])

    attempt, _ = services.start_attempt(person, quiz, now=NOW, rng=random.Random(7))

    ids = attempt.question_ids()
    assert len(ids) == len(set(ids)) == 7  # 3 easy from the subtree, then the remaining 4
    assert set(ids[:3]) <= {q.pk for q in easy}
    assert set(ids) == {q.pk for q in easy + hard}


def test_a_contest_has_one_sitting_and_a_common_deadline(person, bank, org):
    starts = NOW + datetime.timedelta(hours=1)
    contest = QuizFactory(
        questions=bank.all,
        audience_units=[org.first],
        kind=QuizKind.CONTEST,
        starts_at=starts,
        time_limit_minutes=30,
        attempt_limit=5,
    )
    with pytest.raises(services.Refused):
        services.start_attempt(person, contest, now=NOW)
    attempt, _ = services.start_attempt(person, contest, now=starts + datetime.timedelta(minutes=10))
    assert attempt.deadline == starts + datetime.timedelta(minutes=30)
    hand_in(person, attempt.pk, key(), now=starts + datetime.timedelta(minutes=12))
    with pytest.raises(services.Refused) as refused:
        services.start_attempt(person, contest, now=starts + datetime.timedelta(minutes=13))
    assert refused.value.code == "attempts_exhausted"


def test_mastery_weighs_recent_answers_more(person, bank, org):
    quiz = QuizFactory(questions=[bank.single], audience_units=[org.first])
    old = NOW - datetime.timedelta(days=28)
    attempt, _ = services.start_attempt(person, quiz, now=old)
    services.save_answer(person, attempt.pk, bank.single.pk, [shown_key(attempt, bank.single, "B")], now=old)
    hand_in(person, attempt.pk, key(), now=old)  # right, four weeks ago: weight 1/4
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    hand_in(person, attempt.pk, key(), now=NOW)  # wrong (unanswered) today: weight 1

    row = Mastery.objects.get(user=person, knowledge_point=bank.point)
    assert row.answered == 2
    assert row.percent == pytest.approx(100 * 0.25 / 1.25, abs=0.1)  # 20.0, not the plain 50
    assert selectors.weak_point_ids(person) == [bank.point.pk]


def test_notebook_entry_leaves_after_two_right_answers_on_different_days(person, bank, org):
    quiz = QuizFactory(questions=[bank.true_false], audience_units=[org.first], attempt_limit=None)

    def sit(answer, when):
        attempt, _ = services.start_attempt(person, quiz, now=when)
        services.save_answer(person, attempt.pk, bank.true_false.pk, [answer], now=when)
        hand_in(person, attempt.pk, key(), now=when)

    # Days are the site's (Asia/Shanghai): from 9:00, two hours later is still the same day
    # whenever the suite runs (from NOW itself, after 22:00 it was the next).
    morning = timezone.localtime(NOW).replace(hour=9, minute=0, second=0, microsecond=0)
    sit("B", morning)
    entry = NotebookEntry.objects.get(user=person, question=bank.true_false)
    assert entry.wrong_count == 1 and entry.cleared_at is None and entry.last_answer == ["B"]
    sit("A", morning + datetime.timedelta(hours=1))
    sit("A", morning + datetime.timedelta(hours=2))  # same day: still one in a row as far as days go
    assert [e.question for e in selectors.my_notebook(person)] == [bank.true_false]
    sit("B", morning + datetime.timedelta(days=1))  # wrong again: the streak starts over
    sit("A", morning + datetime.timedelta(days=2))
    sit("A", morning + datetime.timedelta(days=3))
    assert selectors.my_notebook(person) == []
    entry.refresh_from_db()
    assert entry.wrong_count == 2 and entry.cleared_at is not None


def test_a_quiz_without_review_never_puts_questions_in_the_notebook(person, bank, org):
    quiz = QuizFactory(questions=[bank.single], audience_units=[org.first], allow_review=False)
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    graded = hand_in(person, attempt.pk, key(), now=NOW)
    assert selectors.my_notebook(person) == []
    assert selectors.attempt_result(graded).questions == []
    assert Mastery.objects.filter(user=person).exists()  # still counts for mastery


def test_daily_practice_is_the_same_all_day_and_differs_between_members(person, org, root):
    for _ in range(20):
        QuestionFactory()
    QuestionFactory(practice_allowed=False, stem="竞赛保密题")
    # A fixed local morning: "five minutes later" must stay on the same day whenever the suite runs.
    morning = timezone.localtime(NOW).replace(hour=9, minute=0, second=0, microsecond=0)
    first, created = services.start_practice(person, "daily", now=morning)
    hand_in(person, first.pk, key(), now=morning)
    again, created_again = services.start_practice(person, "daily", now=morning + datetime.timedelta(minutes=5))
    other = member(org.first, MemberStatus.FULL, username="other")
    theirs, _ = services.start_practice(other, "daily", now=morning)

    assert created and not created_again and again.pk == first.pk
    assert len(first.items) == 5 and first.deadline is None and first.allow_review
    assert theirs.question_ids() != first.question_ids()
    assert "竞赛保密题" not in [q.question.stem for q in selectors.attempt_questions(first)]
    tomorrow, created = services.start_practice(person, "daily", now=morning + datetime.timedelta(days=1))
    assert created and tomorrow.pk != first.pk


def test_weak_point_and_notebook_practice_draw_from_the_right_questions(person, bank, org):
    quiz = QuizFactory(questions=bank.all, audience_units=[org.first])
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    services.save_answer(person, attempt.pk, bank.true_false.pk, ["A"], now=NOW)
    services.save_answer(person, attempt.pk, bank.blank.pk, ["共产", "上海"], now=NOW)
    hand_in(person, attempt.pk, key(), now=NOW)  # 党史 both wrong, 党章 both right

    weak, _ = services.start_practice(person, "weak", now=NOW)
    assert set(weak.question_ids()) == {bank.single.pk, bank.multiple.pk}
    resumed, created = services.start_practice(person, "weak", now=NOW)
    assert (resumed.pk, created) == (weak.pk, False)  # one open practice per source
    hand_in(person, weak.pk, key(), now=NOW)
    notebook, _ = services.start_practice(person, "notebook", now=NOW)
    assert set(notebook.question_ids()) == {bank.single.pk, bank.multiple.pk}


def test_saving_an_invalid_answer_is_refused_and_stores_nothing(person, bank, org):
    quiz = QuizFactory(questions=bank.all, audience_units=[org.first])
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    for question, value in (
        (bank.single, ["A", "B"]),
        (bank.single, ["G"]),
        (bank.multiple, ["A", "A"]),
        (bank.true_false, ["C"]),
        (bank.blank, ["只有一个空"]),
        (bank.single, "B"),
        (bank.blank, [1, 2]),
    ):
        with pytest.raises(ValidationError):
            services.save_answer(person, attempt.pk, question.pk, value, now=NOW)
    assert not AttemptAnswer.objects.filter(attempt=attempt).exists()
    services.save_answer(person, attempt.pk, bank.single.pk, ["A"], now=NOW)
    services.save_answer(person, attempt.pk, bank.single.pk, None, now=NOW)  # cleared
    assert AttemptAnswer.objects.get(attempt=attempt).answer is None


def test_a_course_with_a_linked_quiz_counts_as_completed_only_once_it_is_passed(person, bank, org):
    from cms.accounts.selectors import Scope
    from cms.study import selectors as study
    from tests.factories import CourseFactory, LessonFactory, LessonProgressFactory

    course = CourseFactory(title="党章课", audience_units=[org.first])
    lesson = LessonFactory(parent=course)
    LessonProgressFactory(user=person, lesson=lesson, seconds_spent=120, completed_at=NOW)
    assert study.course_overviews(person, [course])[0].completed

    quiz = QuizFactory(questions=[bank.single], audience_units=[org.first], course=course, attempt_limit=None)
    [overview] = study.course_overviews(person, [course])
    assert not overview.completed and overview.state == "in_progress"
    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    hand_in(person, attempt.pk, key(), now=NOW)  # failed: still not completed
    assert not study.course_overviews(person, [course])[0].completed

    attempt, _ = services.start_attempt(person, quiz, now=NOW)
    services.save_answer(person, attempt.pk, bank.single.pk, [shown_key(attempt, bank.single, "B")], now=NOW)
    hand_in(person, attempt.pk, key(), now=NOW)

    assert study.course_overviews(person, [course])[0].completed
    [report] = study.progress_reports(Scope(None, "全部组织"), course_id=course.pk)
    assert [row.progress.completed for row in report.rows if row.user == person] == [True]


def test_an_editor_previews_a_quiz_without_its_answers(client, editor, bank, org):
    from tests.factories import PASSWORD

    quiz = QuizFactory(title="预览测验", questions=bank.all, audience_units=[org.first])
    assert client.login(username=editor.username, password=PASSWORD)
    response = client.get(f"/admin/pages/{quiz.pk}/view_draft/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "预览测验" in text and bank.single.explanation not in text and "题干" not in text
