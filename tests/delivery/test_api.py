"""/api/member/notifications/email/: one's own email choice; refused without an address."""

import pytest

from cms.delivery.models import EmailPreference
from tests.factories import UserFactory
from tests.study.conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/member/notifications/email/"


def test_off_until_chosen_then_saved(home):
    user = UserFactory(email="dangyuan@example.cn")
    client = client_for(user)
    assert client.get(URL).json() == {"email": "dangyuan@example.cn", "notices": False, "answers": False}
    response = client.put(URL, {"notices": True, "answers": False}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["notices"] is True
    assert EmailPreference.objects.get(user=user).notices is True
    assert client.get(URL).json()["notices"] is True


def test_without_an_email_address_it_cannot_be_turned_on(home):
    user = UserFactory(email="")
    response = client_for(user).put(URL, {"notices": True, "answers": False}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "没有登记电子邮箱" in response.json()["detail"]
    assert not EmailPreference.objects.filter(user=user, notices=True).exists()
    # Turning everything off is always allowed.
    assert client_for(user).put(URL, {"notices": False, "answers": False}, format="json").status_code == 200


def test_anonymous_and_bad_input(home):
    assert client_for().get(URL).status_code == 401
    user = UserFactory(email="a@example.cn")
    assert client_for(user).put(URL, {"notices": "maybe"}, format="json").status_code == 400


def test_csrf_is_checked(home):
    user = UserFactory(email="a@example.cn")
    response = client_for(user, enforce_csrf=True).put(URL, {"notices": True, "answers": True}, format="json")
    assert response.status_code == 403


def test_after_the_address_is_removed_the_choice_shows_and_can_only_be_turned_off(home):
    """What the 邮件提醒 panel builds on: the stored choice is shown with an empty address, a
    refused change leaves it as it was, and switching off works."""
    user = UserFactory(email="was@example.cn")
    client = client_for(user)
    assert client.put(URL, {"notices": True, "answers": False}, format="json").status_code == 200
    type(user).objects.filter(pk=user.pk).update(email="")

    assert client.get(URL).json() == {"email": "", "notices": True, "answers": False}
    refused = client.put(URL, {"notices": True, "answers": True}, format="json")
    assert refused.status_code == 400 and "请联系管理员登记邮箱" in refused.json()["detail"]
    assert client.get(URL).json()["answers"] is False
    off = client.put(URL, {"notices": False, "answers": False}, format="json")
    assert off.json() == {"email": "", "notices": False, "answers": False}
