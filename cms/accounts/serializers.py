"""JSON shapes of the session endpoints (docs/member-api.md: Session, Me)."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework import serializers

from .models import BranchRole, MemberStatus, User

#: The member area's tab → how many new things it holds for a person. Each area registers
#: its own count in its AppConfig.ready (the areas build on accounts, not the reverse).
_BADGE_COUNTS: dict[str, Callable[[User], int]] = {}


def register_badge(view: str, count: Callable[[User], int]) -> None:
    _BADGE_COUNTS[view] = count


def member_badges(user: User) -> dict[str, int]:
    """Counts shown on the member area's tabs; an area with nothing new is left out."""
    counts = {view: count(user) for view, count in _BADGE_COUNTS.items()}
    return {view: count for view, count in counts.items() if count}


class MeSerializer(serializers.Serializer):
    """Who is logged in. Status and role are null for people without a Party record
    (e.g. administrators)."""

    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    organisation = serializers.CharField(source="organisation.name", allow_null=True, default=None)
    status = serializers.ChoiceField(choices=MemberStatus.choices, allow_null=True)
    status_label = serializers.CharField(allow_null=True)
    role = serializers.ChoiceField(choices=BranchRole.choices, allow_null=True)
    role_label = serializers.CharField(allow_null=True)
    is_secretary = serializers.BooleanField()
    password_change_required = serializers.BooleanField(
        help_text="初始密码须先修改（POST password/）；在此之前其他接口返回 403 password_change_required。"
    )
    badges = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        help_text="会员区各栏目的提醒数（栏目 → 数量，例如 consultations：有新答复的咨询数）；没有提醒的栏目不出现。",
    )

    def to_representation(self, user: User):
        membership = getattr(user, "membership", None)
        return {
            "username": user.username,
            "name": user.display_name,
            "organisation": user.organisation.name if user.organisation_id else None,
            "status": membership.status if membership else None,
            "status_label": membership.get_status_display() if membership else None,
            "role": membership.role if membership else None,
            "role_label": membership.get_role_display() if membership else None,
            "is_secretary": bool(membership and membership.role == BranchRole.SECRETARY),
            "password_change_required": user.must_change_password,
            "badges": member_badges(user),
        }


class SessionSerializer(serializers.Serializer):
    authenticated = serializers.BooleanField()
    user = MeSerializer(allow_null=True)

    def to_representation(self, user):
        logged_in = bool(user is not None and user.is_authenticated)
        return {"authenticated": logged_in, "user": MeSerializer(user).data if logged_in else None}


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(
        max_length=150,
        trim_whitespace=True,
        error_messages={
            "required": "请输入用户名。",
            "blank": "请输入用户名。",
            "null": "请输入用户名。",
            "invalid": "用户名格式不正确。",
            "max_length": "用户名过长。",
        },
    )
    password = serializers.CharField(
        max_length=4096,
        trim_whitespace=False,
        style={"input_type": "password"},
        error_messages={
            "required": "请输入密码。",
            "blank": "请输入密码。",
            "null": "请输入密码。",
            "invalid": "密码格式不正确。",
            "max_length": "密码过长。",
        },
    )
    # Staff with a second factor (cms/accounts/otp.py): the 6-digit code, asked for after
    # an answer with code = otp_required.
    code = serializers.CharField(
        max_length=12,
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        error_messages={"max_length": "验证码过长。"},
    )


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(
        max_length=4096,
        trim_whitespace=False,
        error_messages={
            "required": "请输入当前密码。",
            "blank": "请输入当前密码。",
            "null": "请输入当前密码。",
            "max_length": "密码过长。",
        },
    )
    new_password = serializers.CharField(
        max_length=4096,
        trim_whitespace=False,
        error_messages={
            "required": "请输入新密码。",
            "blank": "请输入新密码。",
            "null": "请输入新密码。",
            "max_length": "密码过长。",
        },
    )
