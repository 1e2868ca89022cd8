"""Where a refused request is sent, so access tests assert exactly that (not "302 or 403").

Three refusals exist: a visitor (or a person without admin access) who asks for an admin
page goes to the admin log-in and comes back after it; a person in the admin who lacks the
permission is sent to the dashboard with Wagtail's "no permission" message; a private file
sends a visitor to the member log-in (cms/media)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

NO_PERMISSION = "Sorry, you do not have permission to access this area."  # Wagtail's msgid


def member_log_in_redirect(url: str) -> str:
    """Where an anonymous visitor is sent for a private file: the member log-in, coming back to it."""
    return "/member/?" + urlencode({"next": url}, safe="/")


def admin_log_in_redirect(url: str) -> str:
    return reverse("wagtailadmin_login") + "?" + urlencode({"next": url}, safe="/")


def assert_sent_to_admin_log_in(response, url: str) -> None:
    answer = (response.status_code, response.get("Location"))
    assert answer == (302, admin_log_in_redirect(url)), answer


def assert_refused_in_admin(response) -> None:
    """Wagtail's answer to a PermissionDenied inside the admin: back to the dashboard, told why."""
    answer = (response.status_code, response.get("Location"))
    assert answer == (302, reverse("wagtailadmin_home")), answer
    with translation.override(settings.LANGUAGE_CODE):
        told = translation.gettext(NO_PERMISSION)
    messages = [str(message).strip() for message in get_messages(response.wsgi_request)]
    assert told in messages, messages
