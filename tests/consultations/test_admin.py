"""The admin 咨询与建议 beyond who may open it (test_permission_matrix): filters, overdue marks,
the answer form's messages, and the groups that let answerers in."""

from bs4 import BeautifulSoup
from django.contrib.auth.models import Group

from cms.accounts.models import MemberStatus
from cms.accounts.roles import ANSWERER
from cms.bootstrap.roles import setup_roles
from cms.consultations import services
from cms.consultations.models import State
from cms.consultations.roles import ORGANISATION_MEMBER

from .conftest import at, client_for, pdf


def _titles(response):
    page = BeautifulSoup(response.content, "html.parser")
    return {
        row.select_one("td.dj-card-title a").get_text(): row
        for row in page.select("tbody tr")
        if row.select_one("td.dj-card-title a")
    }


def test_filters_and_overdue_marks(people, ask):
    old = ask(subject="早就提的问题", now=at("2020-01-06 09:00"))
    ask(subject="新的建议", kind="suggestion")
    answered = ask(subject="已答复的问题")
    services.answer(people.secretary, answered, "答")
    client = client_for(people.secretary)

    everything = _titles(client.get("/admin/consultations/"))
    assert set(everything) == {"早就提的问题", "新的建议", "已答复的问题"}
    assert "dj-overdue" in everything["早就提的问题"].get("class", [])
    assert "已超期" in everything["早就提的问题"].get_text()
    assert "已超期" not in everything["新的建议"].get_text()

    assert set(_titles(client.get("/admin/consultations/?overdue=on"))) == {"早就提的问题"}
    assert set(_titles(client.get("/admin/consultations/?kind=suggestion"))) == {"新的建议"}
    assert set(_titles(client.get("/admin/consultations/?state=answered"))) == {"已答复的问题"}
    assert _titles(client.get("/admin/consultations/?state=bogus")) == {}  # a bad filter shows nothing
    assert old.state == State.PENDING


def test_the_answer_form_says_what_is_wrong_under_each_field(people, ask):
    item = ask()
    client = client_for(people.secretary)
    empty = client.post(f"/admin/consultations/{item.pk}/", {"text": ""})
    assert empty.status_code == 400 and "请填写答复内容。" in empty.content.decode()
    fake = client.post(f"/admin/consultations/{item.pk}/", {"text": "答复", "attachment": pdf("假.pdf", b"<html>")})
    assert fake.status_code == 400 and "文件内容与扩展名" in fake.content.decode()
    item.refresh_from_db()
    assert item.state == State.PENDING and item.messages.count() == 1


def test_an_answer_with_a_file_reaches_the_asker(people, ask):
    item = ask()
    client_for(people.organiser).post(
        f"/admin/consultations/{item.pk}/", {"text": "见附件", "attachment": pdf("办理流程.pdf")}
    )
    detail = client_for(people.asker).get(f"/api/member/consultations/{item.pk}/").json()
    answer = detail["messages"][-1]
    assert answer["author"] == people.organiser.display_name and answer["attachment"]["name"] == "办理流程.pdf"
    assert client_for(people.asker).get(answer["attachment"]["url"]).status_code == 200


def test_setup_roles_creates_the_answerer_group_and_derives_organisation_members(people):
    assert Group.objects.get(name=ANSWERER).permissions.filter(codename="access_admin").exists()
    group = Group.objects.get(name=ORGANISATION_MEMBER)
    assert list(group.user_set.all()) == [people.organiser]
    assert people.organiser.has_perm("wagtailadmin.access_admin")

    people.organiser.membership.status = MemberStatus.TRANSFERRED_OUT
    people.organiser.membership.save()
    assert not group.user_set.exists()

    group.user_set.add(people.asker)  # by hand: setup_roles puts it right
    setup_roles()
    assert not group.user_set.exists()
