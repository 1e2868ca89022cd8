"""The password policy (cms/accounts/passwords.py): 8 characters, three of four classes, not
the user name, not common, not one of the last five."""

import pytest
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import translation

from cms.accounts.models import PasswordHistory
from tests.factories import UserFactory


def refusals(password, user=None) -> list[str]:
    with translation.override("zh-hans"):  # as in a request (LocaleMiddleware)
        try:
            validate_password(password, user)
        except ValidationError as error:
            return [str(message) for message in error.messages]
    return []


def test_short_passwords_are_refused(db):
    try:
        validate_password("Ab1!xyz")
    except ValidationError as error:
        assert "password_too_short" in [e.code for e in error.error_list]
    else:
        pytest.fail("a 7-character password passed")


@pytest.mark.parametrize(
    "password, reason",
    [
        ("abcdefghij", "至少 3 类"),
        ("abcdefgh12", "至少 3 类"),
        ("ABCDEFGH!!", "至少 3 类"),
        ("12345678901", "至少 3 类"),
    ],
)
def test_weak_passwords_are_refused_in_chinese(db, password, reason):
    assert any(reason in message for message in refusals(password)), refusals(password)


@pytest.mark.parametrize("password", ["Dangjian@2026", "dangjian2026!", "Zhibu-Xuexi-8", "党建学习Ab12"])
def test_passwords_with_three_classes_pass(db, password):
    assert refusals(password) == []


def test_the_user_name_is_not_a_password(db):
    user = UserFactory(username="zhangsan")
    assert "密码不能包含用户名。" in refusals("Zhangsan@2026", user)


def test_the_last_five_passwords_cannot_come_back(db):
    user = UserFactory(username="lisi")
    used = [f"Xuexi-{n}-Dang!" for n in range(1, 7)]
    for password in used:
        user.set_password(password)
        user.save()
    assert PasswordHistory.objects.filter(user=user).count() == 5  # hashes only, the last five
    assert all(not row.password_hash.startswith("Xuexi") for row in PasswordHistory.objects.all())
    for password in used[1:]:
        assert "不能使用最近 5 次用过的密码。" in refusals(password, user), password
    assert refusals(used[0], user) == [], "the sixth-last may come back"


def test_the_password_forms_say_why(db):
    user = UserFactory(username="wangwu")
    form = SetPasswordForm(user, {"new_password1": "abcdefgh", "new_password2": "abcdefgh"})
    assert not form.is_valid()
    assert any("至少 3 类" in message for message in form.errors["new_password2"])
