"""The member API as the pages use it. Every answer of every endpoint before submission is
searched for the answers and explanations (markers in the bank); results show them only
after submission and only when the quiz allows review."""

import datetime

import pytest
from django.utils import timezone

from cms.accounts.models import BranchRole, MemberStatus
from cms.assessment import services
from cms.assessment.answers import QuestionType
from cms.assessment.models import Attempt, AttemptAnswer, QuizKind
from tests.assessment.conftest import API, client_for, key, member, submit_over_api
from tests.assessment.factories import KnowledgePointFactory, QuestionFactory, QuizFactory

ANSWER_MARKER = "ANSWERMARKER"
EXPLANATION_MARKER = "EXPLAINMARKER"
SECRET_KEYS = {"correct_answer", "accepted_answers", "explanation", "credit", "correct"}


def keys_in(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_in(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_in(v)}
    return set()


def assert_no_answers(response):
    text = response.content.decode()
    assert ANSWER_MARKER not in text and EXPLANATION_MARKER not in text, text
    if response.get("Content-Type", "").startswith("application/json") and text:
        assert not keys_in(response.json()) & SECRET_KEYS, text


@pytest.fixture
def world(root, org):
    point = KnowledgePointFactory(name="党的纪律")
    questions = [
        QuestionFactory(stem="单选题干", explanation=f"{EXPLANATION_MARKER}1", knowledge_points=[point]),
        QuestionFactory(
            type=QuestionType.MULTIPLE,
            stem="多选题干",
            option_a="甲",
            option_b="乙",
            option_c="丙",
            answer="AC",
            explanation=f"{EXPLANATION_MARKER}2",
            knowledge_points=[point],
        ),
        QuestionFactory(
            type=QuestionType.TRUE_FALSE,
            stem="判断题干",
            answer="正确",
            explanation=f"{EXPLANATION_MARKER}3",
            knowledge_points=[point],
        ),
        QuestionFactory(
            type=QuestionType.FILL_BLANK,
            stem="填空题干____",
            answer=f"{ANSWER_MARKER}|别的说法",
            explanation=f"{EXPLANATION_MARKER}4",
            knowledge_points=[point],
        ),
    ]
    person = member(org.first, MemberStatus.FULL, username="dangyuan", last_name="张", first_name="三")
    quiz = QuizFactory(
        title="纪律测验", questions=questions, audience_units=[org.first], time_limit_minutes=20, attempt_limit=3
    )
    return type(
        "World",
        (),
        {"questions": questions, "person": person, "quiz": quiz, "point": point, "client": client_for(person)},
    )


def option_key(question_json, text):
    return next(o["key"] for o in question_json["options"] if o["text"] == text)


def right_answers(attempt_json):
    by_stem = {q["stem"]: q for q in attempt_json["questions"]}
    return {
        by_stem["单选题干"]["id"]: [option_key(by_stem["单选题干"], "1921年")],
        by_stem["多选题干"]["id"]: sorted(
            [option_key(by_stem["多选题干"], "甲"), option_key(by_stem["多选题干"], "丙")]
        ),
        by_stem["判断题干"]["id"]: ["A"],
        by_stem["填空题干____"]["id"]: ["别的  说法"],
    }


def test_taking_a_quiz_end_to_end_never_shows_answers_before_submission(world):
    client = world.client
    listed = client.get(API + "quizzes/")
    assert_no_answers(listed)
    [summary] = listed.json()
    assert summary["state"] == "not_started" and summary["can_start"] and summary["question_count"] == 4
    assert summary["time_limit_seconds"] == 1200 and summary["attempts_left"] == 3
    assert_no_answers(client.get(API + f"quizzes/{world.quiz.pk}/"))

    started = client.post(API + f"quizzes/{world.quiz.pk}/attempts/")
    assert started.status_code == 201
    assert_no_answers(started)
    attempt = started.json()
    assert attempt["remaining_seconds"] in (1199, 1200) and attempt["answers"] == {}
    assert [q["type"] for q in attempt["questions"]] == ["single", "multiple", "true_false", "fill_blank"]
    assert attempt["questions"][2]["options"] == [{"key": "A", "text": "正确"}, {"key": "B", "text": "错误"}]
    assert attempt["questions"][3]["blanks"] == 1 and attempt["questions"][3]["options"] == []

    answers = right_answers(attempt)
    for question_id, value in answers.items():
        saved = client.put(API + f"attempts/{attempt['id']}/answers/{question_id}/", {"answer": value}, format="json")
        assert saved.status_code == 200, saved.content
        assert_no_answers(saved)
        assert saved.json()["answer"] == value
    resumed = client.post(API + f"quizzes/{world.quiz.pk}/attempts/")
    assert resumed.status_code == 200 and resumed.json()["id"] == attempt["id"]
    assert_no_answers(resumed)
    assert resumed.json()["answers"] == {str(k): v for k, v in answers.items()}
    for url in ("attempts/", f"attempts/{attempt['id']}/", "mastery/", "notebook/", f"quizzes/{world.quiz.pk}/"):
        assert_no_answers(client.get(API + url))
    early = client.get(API + f"attempts/{attempt['id']}/result/")
    assert early.status_code == 400 and early.json()["code"] == "not_submitted"
    assert_no_answers(early)

    submission = key()
    handed_in = client.post(API + f"attempts/{attempt['id']}/submit/", {"key": submission}, format="json")

    # Handed in: the score follows from the worker; until then the result says so (202).
    assert handed_in.status_code == 202 and handed_in["Retry-After"] == "1", handed_in.content
    assert_no_answers(handed_in)
    assert handed_in.json()["graded"] is False and handed_in.json()["message"] == "已交卷，正在判分，请稍候。"
    waiting = client.get(API + f"attempts/{attempt['id']}/result/")
    assert waiting.status_code == 202 and waiting.json() == handed_in.json()
    assert client.get(API + "quizzes/").json()[0]["state"] == "completed"
    late_save = client.put(
        API + f"attempts/{attempt['id']}/answers/{attempt['questions'][0]['id']}/", {"answer": ["A"]}, format="json"
    )
    assert late_save.status_code == 400 and late_save.json()["code"] == "already_submitted"
    assert services.grade_submitted() == 1  # the worker's pass
    result = client.get(API + f"attempts/{attempt['id']}/result/")

    assert result.status_code == 200, result.content
    body = result.json()
    assert body["graded"] is True and body["attempt"]["submitted_at"] == handed_in.json()["submitted_at"]
    assert body["score"] == 100 and body["passed"] and body["late_message"] == ""
    assert body["correct_count"] == 4 and body["review_allowed"]
    by_stem = {q["stem"]: q for q in body["questions"]}
    assert by_stem["填空题干____"]["accepted_answers"] == [[ANSWER_MARKER, "别的说法"]]
    assert by_stem["单选题干"]["explanation"] == f"{EXPLANATION_MARKER}1"
    assert by_stem["多选题干"]["correct_answer"] == answers[by_stem["多选题干"]["id"]]
    # A retry of the hand-in (lost answer, second tab) now answers with the same result.
    retry = client.post(API + f"attempts/{attempt['id']}/submit/", {"key": submission}, format="json")
    assert retry.status_code == 200 and retry.json() == body


def test_a_quiz_without_review_shows_the_score_only(world):
    world.quiz.allow_review = False
    world.quiz.save_revision().publish(skip_permission_checks=True)
    client = world.client
    attempt = client.post(API + f"quizzes/{world.quiz.pk}/attempts/").json()

    result = submit_over_api(client, attempt["id"])

    assert result.status_code == 200 and result.json()["questions"] == [] and not result.json()["review_allowed"]
    assert_no_answers(result)
    assert_no_answers(client.get(API + f"attempts/{attempt['id']}/result/"))
    assert_no_answers(client.get(API + "notebook/"))
    # Practice never offers what the member got wrong in a quiz without review.
    practice = client.post(API + "practice/", {"source": "notebook"}, format="json")
    assert practice.status_code == 400 and practice.json()["code"] == "no_questions"


def test_mastery_notebook_and_practice_after_some_wrong_answers(world):
    client = world.client
    attempt = client.post(API + f"quizzes/{world.quiz.pk}/attempts/").json()
    single = next(q for q in attempt["questions"] if q["stem"] == "单选题干")
    wrong = option_key(single, "1949年")
    client.put(API + f"attempts/{attempt['id']}/answers/{single['id']}/", {"answer": [wrong]}, format="json")
    submit_over_api(client, attempt["id"])

    mastery = client.get(API + "mastery/").json()
    assert mastery["points"][0]["name"] == "党的纪律" and mastery["points"][0]["level"] == "weak"
    assert mastery["weak_point_ids"] == [world.point.pk]
    notebook = client.get(API + "notebook/")
    assert_no_answers(notebook)
    assert notebook.json()["total"] == 4
    entry = next(e for e in notebook.json()["entries"] if e["question"]["stem"] == "单选题干")
    shown = {o["key"]: o["text"] for o in entry["question"]["options"]}
    assert shown[entry["my_last_answer"][0]] == "1949年"

    practice = client.post(API + "practice/", {"source": "notebook"}, format="json")
    assert practice.status_code == 201 and len(practice.json()["questions"]) == 4
    assert_no_answers(practice)
    weak = client.post(API + "practice/", {"source": "weak", "knowledge_points": [world.point.pk]}, format="json")
    assert weak.status_code == 201
    daily = client.post(API + "practice/", {"source": "daily"}, format="json")
    assert (
        daily.status_code == 201
        and client.post(API + "practice/", {"source": "daily"}, format="json").json()["id"] == daily.json()["id"]
    )
    bad = client.post(API + "practice/", {"source": "everything"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "source" in bad.json()["fields"]


def test_refusals_have_their_codes(world):
    client = world.client
    attempt = client.post(API + f"quizzes/{world.quiz.pk}/attempts/").json()
    question = attempt["questions"][0]["id"]
    url = API + f"attempts/{attempt['id']}/answers/{question}/"

    bad = client.put(url, {"answer": ["Z"]}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid" and "answer" in bad.json()["fields"]
    assert client.put(url, {"answer": "A"}, format="json").status_code == 400
    assert (
        client.put(API + f"attempts/{attempt['id']}/answers/999999/", {"answer": ["A"]}, format="json").status_code
        == 404
    )
    missing_key = client.post(API + f"attempts/{attempt['id']}/submit/", {}, format="json")
    assert missing_key.status_code == 400 and "key" in missing_key.json()["fields"]
    assert (
        client.post(API + f"attempts/{attempt['id']}/submit/", {"key": "x' OR 1=1"}, format="json").status_code == 400
    )
    Attempt.objects.filter(pk=attempt["id"]).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    late_save = client.put(url, {"answer": ["A"]}, format="json")
    assert late_save.status_code == 400 and late_save.json() == {
        "detail": "答题时间已到，答案未保存。请交卷。",
        "code": "time_up",
    }
    result = submit_over_api(client, attempt["id"]).json()
    assert result["attempt"]["late"] and result["late_message"].startswith("已超过答题时限")
    done = client.put(url, {"answer": ["A"]}, format="json")
    assert done.status_code == 400 and done.json()["code"] == "already_submitted"


def test_an_attempt_of_someone_else_is_a_404(world, org):
    attempt = world.client.post(API + f"quizzes/{world.quiz.pk}/attempts/").json()
    neighbour = client_for(member(org.first, MemberStatus.FULL, username="neighbour"))
    for method, url, body in (
        ("get", f"attempts/{attempt['id']}/", None),
        ("get", f"attempts/{attempt['id']}/result/", None),
        ("put", f"attempts/{attempt['id']}/answers/{attempt['questions'][0]['id']}/", {"answer": ["A"]}),
        ("post", f"attempts/{attempt['id']}/submit/", {"key": key()}),
    ):
        response = getattr(neighbour, method)(API + url, body, format="json")
        assert response.status_code == 404
        assert response.json() == {"detail": "未找到该测验或作答记录，或您不在测验范围内。", "code": "not_found"}
    assert not AttemptAnswer.objects.exists() and not Attempt.objects.get(pk=attempt["id"]).submitted


def test_hostile_text_in_answers_is_stored_as_text(world):
    attempt = world.client.post(API + f"quizzes/{world.quiz.pk}/attempts/").json()
    blank = next(q for q in attempt["questions"] if q["type"] == "fill_blank")
    hostile = "<script>alert(1)</script>\u202e'; DROP TABLE x;--"
    saved = world.client.put(
        API + f"attempts/{attempt['id']}/answers/{blank['id']}/", {"answer": [hostile]}, format="json"
    )
    assert saved.status_code == 200 and saved.json()["answer"] == [hostile]
    too_long = world.client.put(
        API + f"attempts/{attempt['id']}/answers/{blank['id']}/", {"answer": ["长" * 201]}, format="json"
    )
    assert too_long.status_code == 400


def test_contest_ranking_by_score_then_time_with_units_for_secretaries(world, org):
    starts = timezone.now() - datetime.timedelta(hours=2)
    contest = QuizFactory(
        title="知识竞赛",
        kind=QuizKind.CONTEST,
        questions=world.questions[:1],
        audience_units=[org.committee],
        starts_at=starts,
        time_limit_minutes=30,
        ranking_members=True,
    )
    people = {
        name: member(unit, MemberStatus.FULL, username=name, last_name=name, first_name="")
        for name, unit in (("甲", org.first), ("乙", org.first), ("丙", org.second))
    }
    for name, right, minutes in (("甲", True, 20), ("乙", True, 10), ("丙", False, 5)):
        attempt = Attempt.objects.create(
            user=people[name],
            quiz=contest,
            unit=people[name].organisation,
            items=[{"q": world.questions[0].pk, "t": "single", "o": ["A", "B"], "b": 0}],
            started_at=starts,
            deadline=starts + datetime.timedelta(minutes=30),
            submitted_at=starts + datetime.timedelta(minutes=minutes),
            graded_at=starts + datetime.timedelta(minutes=minutes),
            score=100 if right else 0,
            seconds_used=minutes * 60,
        )
        assert attempt.pk
    ranking = client_for(people["甲"]).get(API + f"contests/{contest.pk}/ranking/")
    assert ranking.status_code == 200, ranking.content
    body = ranking.json()
    assert [(e["rank"], e["name"]) for e in body["entries"]] == [(1, "乙"), (2, "甲"), (3, "丙")]
    assert body["me"]["rank"] == 2 and body["me"]["is_me"] and body["units"] == []
    secretary = member(org.first, MemberStatus.FULL, BranchRole.SECRETARY, username="shuji")
    units = client_for(secretary).get(API + f"contests/{contest.pk}/ranking/").json()["units"]
    assert [(u["unit"], [e["name"] for e in u["entries"]]) for u in units] == [("第一党支部", ["乙", "甲"])]

    contest.ranking_members = False
    contest.save_revision().publish(skip_permission_checks=True)
    hidden = client_for(people["甲"]).get(API + f"contests/{contest.pk}/ranking/")
    assert hidden.status_code == 400 and hidden.json()["code"] == "not_published"
    assert client_for(people["甲"]).get(API + f"contests/{world.quiz.pk}/ranking/").status_code == 404


@pytest.mark.django_db(transaction=True)  # the worker closes its connections between passes
def test_the_worker_grades_a_hand_in_and_a_busy_worker_does_not_leave_the_member_waiting(world):
    """The score comes from the worker's pass; when the worker is busy (a long site build) or
    not running, the member's own result request grades the hand-in after GRADING_WAIT."""
    from django.core.management import call_command

    client = world.client
    first = client.post(API + f"quizzes/{world.quiz.pk}/attempts/").json()
    assert client.post(API + f"attempts/{first['id']}/submit/", {"key": key()}, format="json").status_code == 202
    call_command("worker", once=True)  # what `make run` keeps running
    assert client.get(API + f"attempts/{first['id']}/result/").status_code == 200

    world.quiz.attempt_limit = None
    world.quiz.save_revision().publish(skip_permission_checks=True)
    second = client.post(API + f"quizzes/{world.quiz.pk}/attempts/").json()
    assert client.post(API + f"attempts/{second['id']}/submit/", {"key": key()}, format="json").status_code == 202
    assert client.get(API + f"attempts/{second['id']}/result/").status_code == 202  # the worker's turn
    waited = timezone.now() - services.GRADING_WAIT - datetime.timedelta(seconds=1)
    Attempt.objects.filter(pk=second["id"]).update(submitted_at=waited)  # no worker came

    result = client.get(API + f"attempts/{second['id']}/result/")

    assert result.status_code == 200 and result.json()["graded"] is True, result.content
    assert services.grade_submitted() == 0  # graded once


def test_a_crowd_handing_in_at_once_is_told_to_wait_longer_the_further_back_it_is(world, org, monkeypatch):
    """The result page asks again after retry_after_seconds (also Retry-After): a second, and a
    second more per GRADING_PER_SECOND hand-ins the worker has to grade first, so a whole
    contest handing in at once does not ask for its scores hundreds of times a second."""
    monkeypatch.setattr(services, "GRADING_PER_SECOND", 2)
    crowd = [member(org.first, MemberStatus.FULL, username=f"crowd{n}") for n in range(5)]
    waits = []
    for person in crowd:
        client = client_for(person)
        attempt = client.post(API + f"quizzes/{world.quiz.pk}/attempts/").json()
        handed_in = client.post(API + f"attempts/{attempt['id']}/submit/", {"key": key()}, format="json")
        assert handed_in.status_code == 202
        asked = client.get(API + f"attempts/{attempt['id']}/result/")
        assert asked.status_code == 202
        assert asked["Retry-After"] == str(asked.json()["retry_after_seconds"])
        assert asked.json()["retry_after_seconds"] == handed_in.json()["retry_after_seconds"]
        waits.append(handed_in.json()["retry_after_seconds"])
    assert waits == [1, 1, 2, 2, 3]  # 0, 1, 2, 3 and 4 hand-ins ahead, 2 graded per second

    monkeypatch.setattr(services, "MAX_RESULT_RETRY_SECONDS", 2)
    last = client.post(API + f"attempts/{attempt['id']}/submit/", {"key": key()}, format="json")
    assert last.status_code == 202 and last.json()["retry_after_seconds"] == 2  # never longer than the cap

    services.grade_submitted()
    again = client.post(API + f"attempts/{attempt['id']}/submit/", {"key": key()}, format="json")
    assert again.status_code == 200 and again.json()["graded"] is True  # graded: no wait at all
