"""咨询答复: an answer to a member's consultation or suggestion (我的咨询), by email to the
member who asked, if they chose email for answers. Personal, so no channel: the event has
no topic. The consultations app announces it after the answer is committed
(cms/consultations/services.answer). Like a notice, the email carries the subject, who
answered and a link, never the answer itself: reading it in the member area is what marks
it seen. Reads the consultation's fields by name (subject, asker_id, unit) and imports
nothing from the consultations app (it depends on this one).
"""

from __future__ import annotations

from django.conf import settings

from .events import Event, register
from .transport import make_message

CONSULTATION_ANSWERED = "consultation_answered"


def _message(consultation):
    unit = getattr(consultation, "unit", None)
    return make_message(
        title=f"【咨询答复】{consultation.subject}",
        text="您提交的事项有了新的答复，请登录党员之家查看。",
        url=f"{settings.PUBLIC_SITE_URL.rstrip('/')}/member/consultation/?id={consultation.pk}",
        facts=[f"答复组织：{unit.name}"] if unit is not None else [],
        event=CONSULTATION_ANSWERED,
    )


register(
    Event(
        key=CONSULTATION_ANSWERED,
        label="咨询答复",
        topic=None,
        message=_message,
        units=lambda consultation: set(),
        recipients=lambda consultation: [consultation.asker_id] if consultation.asker_id else [],
        email_preference="answers",
    )
)
