"""Answer validation per field type, drafts, submitting once, anonymity on the rows, the
peer review, attachments, and the public submission's abuse controls."""

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from cms.accounts.models import BranchRole, MemberStatus
from cms.feedback import selectors, services
from cms.feedback.models import AnswerFile, Draft, Participation, PublicSubmitCounter, Response
from tests.factories import FeedbackFormFactory
from tests.feedback.conftest import ALL_TYPES, key, member, names_of, valid_answers


@pytest.fixture
def form(people, org):
    return FeedbackFormFactory(title="支部工作意见征集", audience_units=[org.first], fields=ALL_TYPES)


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as raised:
        call()
    return raised.value.message_dict


# ------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("label", "value", "expected"),
    [
        ("姓名", "  张三  ", "张三"),
        ("姓名", "张\n三", "张 三"),  # one line
        ("意见", "第一条\n第二条", "第一条\n第二条"),
        ("满意度", "一般", "一般"),
        ("关注领域", ["作风建设", "学习"], ["学习", "作风建设"]),  # the editor's order
        ("所在部门", "车间", "车间"),
        ("总体评分", 3, 3),
        ("入党日期", "2020-07-01", "2020-07-01"),
        ("年龄", "42", 42),
        ("年龄", 36.5, 36.5),
        ("年龄", 0, 0),
        ("年龄", "150", 150),
    ],
)
def test_valid_answers_are_normalised(form, people, label, value, expected):
    names = names_of(form)
    answers = {**valid_answers(form), names[label]: value}

    cleaned = services.clean_answers(form, answers, user=people["in_audience"])

    assert cleaned[names[label]] == expected


@pytest.mark.parametrize(
    ("label", "value", "message"),
    [
        ("姓名", None, "请填写“姓名”。"),
        ("姓名", "   ", "请填写“姓名”。"),
        ("姓名", 12, "“姓名”须为文字。"),
        ("姓名", "长" * 2001, "“姓名”不能超过 2000 个字（现有 2001 个）。"),
        ("意见", ["a"], "“意见”须为文字。"),
        ("满意度", None, "请选择“满意度”。"),
        ("满意度", "非常满意", "“满意度”的选项无效，请重新选择。"),
        ("满意度", ["满意"], "“满意度”的选项无效，请重新选择。"),
        ("关注领域", "学习", "“关注领域”的选项无效，请重新选择。"),
        ("关注领域", ["学习", "学习"], "“关注领域”的选项无效，请重新选择。"),
        ("关注领域", ["学习", "打牌"], "“关注领域”的选项无效，请重新选择。"),
        ("所在部门", "总部", "“所在部门”的选项无效，请重新选择。"),
        ("总体评分", None, "请为“总体评分”评分。"),
        ("总体评分", 6, "“总体评分”须为 1 到 5 之间的整数。"),
        ("总体评分", 0, "“总体评分”须为 1 到 5 之间的整数。"),
        ("总体评分", "5", "“总体评分”须为 1 到 5 之间的整数。"),
        ("总体评分", True, "“总体评分”须为 1 到 5 之间的整数。"),
        ("总体评分", 4.5, "“总体评分”须为 1 到 5 之间的整数。"),
        ("入党日期", "2020-02-30", "“入党日期”须为有效日期，例如 2026-07-01。"),
        ("入党日期", "2020/07/01", "“入党日期”须为有效日期，例如 2026-07-01。"),
        ("入党日期", 20200701, "“入党日期”须为有效日期，例如 2026-07-01。"),
        ("年龄", "二十", "“年龄”须为 0 到 150 之间的数字。"),
        ("年龄", 151, "“年龄”须为 0 到 150 之间的数字。"),
        ("年龄", -1, "“年龄”须为 0 到 150 之间的数字。"),
        ("年龄", "NaN", "“年龄”须为 0 到 150 之间的数字。"),
        ("年龄", "Infinity", "“年龄”须为 0 到 150 之间的数字。"),
        ("年龄", True, "“年龄”须为 0 到 150 之间的数字。"),
        ("年龄", "1e400", "“年龄”须为 0 到 150 之间的数字。"),
    ],
)
def test_invalid_answers_get_a_chinese_message_on_their_question(form, people, label, value, message):
    names = names_of(form)
    answers = {**valid_answers(form), names[label]: value}

    errors = errors_of(lambda: services.clean_answers(form, answers, user=people["in_audience"]))

    assert errors == {names[label]: [message]}


def test_every_problem_is_reported_at_once_and_unknown_keys_are_refused(form, people):
    names = names_of(form)

    errors = errors_of(
        lambda: services.clean_answers(
            form,
            {names["总体评分"]: 9, "injected": "x", names["第二部分"]: "a section takes no answer"},
            user=people["in_audience"],
        )
    )

    assert errors == {
        names["姓名"]: ["请填写“姓名”。"],
        names["满意度"]: ["请选择“满意度”。"],
        names["总体评分"]: ["“总体评分”须为 1 到 5 之间的整数。"],
        "injected": ["问卷中没有这个问题，请刷新页面后重试。"],
        names["第二部分"]: ["问卷中没有这个问题，请刷新页面后重试。"],
    }


def test_optional_empty_answers_are_left_out(form, people):
    names = names_of(form)
    answers = {**valid_answers(form), names["意见"]: "", names["关注领域"]: [], names["年龄"]: None}

    cleaned = services.clean_answers(form, answers, user=people["in_audience"])

    assert set(cleaned) == {names["姓名"], names["满意度"], names["总体评分"]}


def test_a_body_over_64_kb_is_refused(form, people):
    names = names_of(form)
    answers = {**valid_answers(form), names["意见"]: "字" * 30000}  # 90 KB of UTF-8

    with pytest.raises(services.TooLarge):
        services.clean_answers(form, answers, user=people["in_audience"])


# ------------------------------------------------------------------------------ drafts and submit


def test_a_draft_may_be_incomplete_and_is_deleted_on_submit(form, people):
    person = people["in_audience"]
    names = names_of(form)

    services.save_draft(person, form, {names["姓名"]: "张"})
    services.save_draft(person, form, {names["姓名"]: "张三", names["总体评分"]: 9})  # invalid is fine

    draft = Draft.objects.get(form=form, user=person)
    assert draft.answers == {names["姓名"]: "张三", names["总体评分"]: 9}
    services.submit(person, form, valid_answers(form), key())
    assert not Draft.objects.filter(form=form, user=person).exists()


def test_a_draft_with_unknown_questions_or_too_large_is_refused_and_keeps_the_old_one(form, people):
    person = people["in_audience"]
    names = names_of(form)
    services.save_draft(person, form, {names["姓名"]: "张三"})

    assert errors_of(lambda: services.save_draft(person, form, {"x": 1})) == {
        "x": ["问卷中没有这个问题，请刷新页面后重试。"]
    }
    with pytest.raises(services.TooLarge):
        services.save_draft(person, form, {names["意见"]: "字" * 30000})
    assert Draft.objects.get(form=form, user=person).answers == {names["姓名"]: "张三"}


def test_submitting_twice_counts_once(form, people):
    person = people["in_audience"]
    services.submit(person, form, valid_answers(form), key())

    with pytest.raises(services.AlreadySubmitted):
        services.submit(person, form, valid_answers(form), key())
    with pytest.raises(services.AlreadySubmitted):
        services.save_draft(person, form, {})
    assert Participation.objects.filter(form=form).count() == 1
    assert Response.objects.filter(form=form).count() == 1


def test_the_same_submission_key_returns_the_same_result_without_a_second_response(form, people):
    person = people["in_audience"]
    attempt = key()
    first = services.submit(person, form, valid_answers(form), attempt)

    again = services.submit(person, form, {"anything": "ignored"}, attempt)

    assert again.pk == first.pk
    assert Response.objects.filter(form=form).count() == 1


def test_a_changeable_named_form_updates_its_one_response(people, org):
    form = FeedbackFormFactory(audience_units=[org.first], allow_change=True, fields=ALL_TYPES)
    person = people["in_audience"]
    names = names_of(form)
    services.submit(person, form, valid_answers(form), key())

    services.submit(person, form, {**valid_answers(form), names["满意度"]: "一般"}, key())

    [response] = Response.objects.filter(form=form)
    assert response.answers[names["满意度"]] == "一般"
    assert response.user == person and response.updated_at >= response.submitted_at
    assert Participation.objects.filter(form=form).count() == 1


@pytest.mark.parametrize(
    ("opens", "closes", "message"),
    [
        (None, -1, "问卷已截止，不能再提交。"),
        (1, None, "问卷尚未开始，请在开始时间后填写。"),
    ],
)
def test_closed_and_upcoming_forms_take_nothing(people, org, opens, closes, message):
    now = timezone.now()
    form = FeedbackFormFactory(
        audience_units=[org.first],
        fields=ALL_TYPES,
        opens_at=now + datetime.timedelta(days=opens) if opens else None,
        closes_at=now + datetime.timedelta(days=closes) if closes else None,
    )
    person = people["in_audience"]

    for call in (
        lambda: services.submit(person, form, valid_answers(form), key()),
        lambda: services.save_draft(person, form, {}),
    ):
        with pytest.raises(services.FormClosed) as refused:
            call()
        assert refused.value.messages == [message]
    assert not Response.objects.exists() and not Draft.objects.exists()


def test_people_outside_the_audience_are_refused(form, people):
    for persona in ("other_branch", "admin", "other_secretary"):
        with pytest.raises(PermissionDenied):
            services.submit(people[persona], form, valid_answers(form), key())
    assert not Response.objects.exists()


def test_statuses_narrow_the_audience(people, org):
    form = FeedbackFormFactory(audience_statuses=[MemberStatus.PROBATIONARY], fields=ALL_TYPES)
    probationary = member(org.second, MemberStatus.PROBATIONARY)

    assert selectors.forms_for(probationary) == [form]
    assert selectors.forms_for(people["in_audience"]) == []


# ------------------------------------------------------------------------------ anonymity


def test_an_anonymous_answer_leaves_nothing_that_identifies_the_person(people, org):
    form = FeedbackFormFactory(
        audience_units=[org.first],
        anonymous=True,
        fields=[*ALL_TYPES, {"label": "材料", "field_type": "file", "required": False}],
    )
    person = people["in_audience"]
    stored = services.upload_file(person, form, SimpleUploadedFile("材料.pdf", b"%PDF-1.4 mine"))
    answers = {**valid_answers(form), names_of(form)["材料"]: str(stored.pk)}

    services.submit(person, form, answers, key())
    services.submit(people["secretary"], form, valid_answers(form), key())

    responses = list(Response.objects.filter(form=form))
    assert len(responses) == 2
    for response in responses:
        assert isinstance(response.pk, uuid.UUID) and response.pk.version == 4
        assert response.user_id is None and response.submitted_at is None and response.updated_at is None
        assert isinstance(response.submitted_on, datetime.date)
    # The raw rows: no column holds a user id, a unit, a time of day or an address.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM feedback_response WHERE form_id = %s", [form.pk])
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    for row in rows:
        values = dict(zip(columns, row))
        assert values["user_id"] is None and values["submitted_at"] is None and values["updated_at"] is None
        assert str(person.pk) not in {str(v) for k, v in values.items() if k not in ("form_id", "answers")}
    # Participation says who answered, and holds nothing that leads to a response.
    participation = Participation.objects.get(form=form, user=person)
    fields = {field.name for field in Participation._meta.get_fields()}
    assert fields == {"id", "form", "user", "submitted_on", "unit", "submission_key"}
    assert str(participation.submission_key) not in str([r.answers for r in responses])
    # The attachment no longer says who uploaded it.
    stored.refresh_from_db()
    assert stored.user_id is None and stored.submitted


def test_the_member_sees_only_the_date_and_never_their_anonymous_answers(people, org):
    form = FeedbackFormFactory(audience_units=[org.first], anonymous=True, fields=ALL_TYPES)
    person = people["in_audience"]
    services.submit(person, form, valid_answers(form), key())

    overview = selectors.form_overview(person, form)

    assert overview.state == "answered"
    assert overview.submitted_at == timezone.localdate().isoformat()
    assert overview.answers is None


# ------------------------------------------------------------------------------ peer review


@pytest.fixture
def review(people, org):
    form = FeedbackFormFactory(
        audience_units=[org.first], kind="evaluation", fields=[{"label": "民主评议党员", "field_type": "peer_review"}]
    )
    colleague = member(org.first, MemberStatus.PROBATIONARY, username="m2", last_name="王", first_name="五")
    member(org.first, MemberStatus.ACTIVIST, username="m3")  # not a Party member: not rated
    member(org.second, MemberStatus.FULL, username="m4")  # another branch
    return form, colleague


def test_the_peer_review_lists_the_other_party_members_of_my_own_branch(review, people):
    form, colleague = review
    person = people["in_audience"]

    [field] = selectors.form_definition(form, person)

    assert field["people"] == [{"id": colleague.pk, "name": "王五"}, {"id": people["secretary"].pk, "name": "李书记"}]
    assert field["grades"] == ["优秀", "合格", "基本合格", "不合格"]
    assert person.pk not in {p["id"] for p in field["people"]}


def test_a_required_peer_review_needs_a_grade_for_everyone(review, people):
    form, colleague = review
    person = people["in_audience"]
    name = names_of(form)["民主评议党员"]

    errors = errors_of(
        lambda: services.clean_answers(
            form, {name: {str(colleague.pk): {"grade": "优秀", "comment": "积极"}}}, user=person
        )
    )
    assert errors == {name: ["请为李书记选择评议等次。"]}

    errors = errors_of(
        lambda: services.clean_answers(
            form,
            {name: {str(colleague.pk): {"grade": "很好"}, str(people["secretary"].pk): {"grade": "合格"}}},
            user=person,
        )
    )
    assert errors == {name: ["对王五的评议等次无效，请在“优秀”“合格”“基本合格”“不合格”中选择。"]}

    errors = errors_of(
        lambda: services.clean_answers(
            form,
            {name: {str(colleague.pk): {"grade": "合格"}, str(people["other_branch"].pk): {"grade": "合格"}}},
            user=person,
        )
    )
    assert errors == {name: ["“民主评议党员”中有不在评议名单上的人员，请刷新页面后重试。"]}


def test_rating_the_same_person_is_per_respondent(review, people):
    form, colleague = review
    name = names_of(form)["民主评议党员"]
    me, secretary = people["in_audience"], people["secretary"]

    services.submit(
        me,
        form,
        {name: {str(colleague.pk): {"grade": "优秀", "comment": " 很积极 "}, str(secretary.pk): {"grade": "合格"}}},
        key(),
    )
    services.submit(
        secretary, form, {name: {str(colleague.pk): {"grade": "基本合格"}, str(me.pk): {"grade": "优秀"}}}, key()
    )

    mine = Response.objects.get(form=form, user=me).answers[name]
    theirs = Response.objects.get(form=form, user=secretary).answers[name]
    assert mine[str(colleague.pk)] == {"grade": "优秀", "comment": "很积极"}
    assert theirs[str(colleague.pk)] == {"grade": "基本合格", "comment": ""}


def test_a_secretary_rates_their_branch_too(review, people, org):
    form, colleague = review
    secretary = member(org.first, MemberStatus.FULL, BranchRole.SECRETARY, username="sec-x")

    people_listed = selectors.form_definition(form, secretary)[0]["people"]

    assert secretary.pk not in {p["id"] for p in people_listed} and colleague.pk in {p["id"] for p in people_listed}


# ------------------------------------------------------------------------------ attachments


@pytest.fixture
def file_form(people, org):
    return FeedbackFormFactory(audience_units=[org.first], fields=[{"label": "材料", "field_type": "file"}])


def test_an_attachment_is_stored_outside_every_served_path(file_form, people, settings):
    stored = services.upload_file(people["in_audience"], file_form, SimpleUploadedFile("总结.pdf", b"%PDF-1.4 x"))

    assert stored.name == "总结.pdf" and stored.size == 10
    assert stored.file.name.startswith(f"feedback-private/{file_form.pk}/")
    assert "总结" not in stored.file.name
    assert not stored.file.name.startswith(("images/", "original_images/", "documents/"))


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.exe", b"MZ", "不支持该文件类型"),
        ("fake.pdf", b"<html>", "文件内容与扩展名“.pdf”不符"),
    ],
)
def test_attachments_of_the_wrong_type_are_refused(file_form, people, name, data, message):
    errors = errors_of(lambda: services.upload_file(people["in_audience"], file_form, SimpleUploadedFile(name, data)))

    assert message in errors["file"][0]
    assert not AnswerFile.objects.exists()


def test_an_attachment_over_the_limit_is_refused(file_form, people, settings):
    settings.FEEDBACK_FILE_MAX_BYTES = 100

    errors = errors_of(
        lambda: services.upload_file(
            people["in_audience"], file_form, SimpleUploadedFile("big.pdf", b"%PDF-" + b"x" * 200)
        )
    )

    assert errors == {"file": ["附件不能超过 100\xa0字节，当前文件为 205\xa0字节。"]}  # filesizeformat


def test_unsubmitted_uploads_are_capped(file_form, people, monkeypatch):
    monkeypatch.setattr(services, "MAX_PENDING_FILES", 2)
    person = people["in_audience"]
    for n in range(2):
        services.upload_file(person, file_form, SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4"))

    errors = errors_of(lambda: services.upload_file(person, file_form, SimpleUploadedFile("3.pdf", b"%PDF-1.4")))

    assert errors == {"file": ["未提交的附件已达 2 个，请先提交问卷。"]}
    assert AnswerFile.objects.count() == 2


def test_a_file_answer_must_be_my_own_upload_to_this_form(file_form, people):
    mine = services.upload_file(people["in_audience"], file_form, SimpleUploadedFile("a.pdf", b"%PDF-1.4"))
    theirs = services.upload_file(people["secretary"], file_form, SimpleUploadedFile("b.pdf", b"%PDF-1.4"))
    name = names_of(file_form)["材料"]
    message = ["“材料”的附件无效或已失效，请重新上传。"]

    for token in (str(theirs.pk), str(uuid.uuid4()), "../../etc/passwd"):
        assert errors_of(lambda: services.clean_answers(file_form, {name: token}, user=people["in_audience"])) == {
            name: message
        }
    assert services.clean_answers(file_form, {name: str(mine.pk)}, user=people["in_audience"]) == {name: str(mine.pk)}


# ------------------------------------------------------------------------------ public submit


def test_a_public_submission_is_stored_with_a_date_only(public_form):
    names = names_of(public_form)

    services.public_submit(
        public_form, {names["标题"]: "建议", names["内容"]: "多开展活动"}, honeypot="", address="203.0.113.7"
    )

    [response] = Response.objects.filter(form=public_form)
    assert response.user_id is None and response.submitted_at is None
    assert response.answers == {names["标题"]: "建议", names["内容"]: "多开展活动"}


def test_the_honeypot_refuses_and_counts_nothing(public_form):
    names = names_of(public_form)

    with pytest.raises(ValidationError):
        services.public_submit(
            public_form, {names["标题"]: "a", names["内容"]: "b"}, honeypot="http://spam", address="203.0.113.7"
        )

    assert not Response.objects.exists()


def test_the_rate_limit_is_per_address_and_form_and_keeps_only_a_hash(public_form, settings):
    settings.FEEDBACK_PUBLIC_SUBMISSIONS_PER_HOUR = 2
    names = names_of(public_form)
    answers = {names["标题"]: "a", names["内容"]: "b"}
    for _ in range(2):
        services.public_submit(public_form, answers, honeypot=None, address="203.0.113.7")

    with pytest.raises(services.Throttled):
        services.public_submit(public_form, answers, honeypot=None, address="203.0.113.7")
    services.public_submit(public_form, answers, honeypot=None, address="198.51.100.2")  # someone else

    assert Response.objects.filter(form=public_form).count() == 3
    hashes = list(PublicSubmitCounter.objects.values_list("key_hash", flat=True))
    assert len(hashes) == 2 and all(len(h) == 64 for h in hashes)
    assert not any("203.0.113.7" in h or "198.51.100.2" in h for h in hashes)


def test_the_hash_changes_with_the_day_and_the_form(public_form):
    now = timezone.now()

    today = services.client_key("203.0.113.7", public_form.pk, now)

    assert today == services.client_key("203.0.113.7", public_form.pk, now)
    assert today != services.client_key("203.0.113.7", public_form.pk, now + datetime.timedelta(days=1))
    assert today != services.client_key("203.0.113.7", public_form.pk + 1, now)


def test_expired_counters_are_deleted(public_form):
    PublicSubmitCounter.objects.create(key_hash="0" * 64, count=9, expires_at=timezone.now() - datetime.timedelta(1))
    names = names_of(public_form)

    services.public_submit(public_form, {names["标题"]: "a", names["内容"]: "b"}, honeypot="", address="203.0.113.7")

    assert not PublicSubmitCounter.objects.filter(key_hash="0" * 64).exists()


def test_abandoned_uploads_are_pruned_with_their_files(file_form, people):
    from pathlib import Path

    from django.core.management import call_command

    old = services.upload_file(people["in_audience"], file_form, SimpleUploadedFile("old.pdf", b"%PDF-1.4"))
    kept = services.upload_file(people["secretary"], file_form, SimpleUploadedFile("new.pdf", b"%PDF-1.4"))
    submitted = services.upload_file(people["in_audience"], file_form, SimpleUploadedFile("s.pdf", b"%PDF-1.4"))
    AnswerFile.objects.filter(pk__in=[old.pk, submitted.pk]).update(uploaded_on=datetime.date(2020, 1, 1))
    AnswerFile.objects.filter(pk=submitted.pk).update(submitted=True)
    old_path = Path(old.file.path)

    call_command("feedback_prune")

    assert set(AnswerFile.objects.values_list("pk", flat=True)) == {kept.pk, submitted.pk}
    assert not old_path.exists() and Path(kept.file.path).exists()
