from django.core.management import call_command
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page

from cms.accounts.models import OrganisationUnit, User
from cms.core.models import ArticlePage
from cms.openness.models import NewsPage


def _counts():
    return (
        Page.objects.count(),
        User.objects.count(),
        OrganisationUnit.objects.count(),
        get_image_model().objects.count(),
        get_document_model().objects.count(),
    )


def test_load_demo_is_idempotent_and_keeps_edits(home, publish, public_site):
    call_command("load_demo", verbosity=0)
    first = _counts()
    assert OrganisationUnit.objects.filter(kind="branch").count() == 2
    assert NewsPage.objects.live().count() >= 4
    assert Page.objects.live().public().type(ArticlePage).count() >= 12

    edited = NewsPage.objects.get(slug="volunteer-party-day")
    edited.title = "编辑改过的标题"
    edited.save_revision().publish()
    call_command("load_demo", verbosity=0)

    assert _counts() == first
    assert NewsPage.objects.get(slug="volunteer-party-day").title == "编辑改过的标题"

    publish()
    site = public_site.all_text()
    assert "编辑改过的标题" in site
    assert "（内部）党委会议情况通报" not in site
    assert "（草稿）年度党建工作总结" not in site
    assert public_site.exists("news/party-class-video/index.html")
    video_page = public_site.text("news/party-class-video/index.html")
    assert "<video" in video_page and "playsinline" in video_page


def _feedback_counts():
    from cms.consultations.models import Consultation, Message
    from cms.feedback.models import FeedbackFormPage, FormField, Participation, Response

    return (
        FeedbackFormPage.objects.count(),
        FormField.objects.count(),
        Participation.objects.count(),
        Response.objects.count(),
        Consultation.objects.count(),
        Message.objects.count(),
    )


#: What only the database may hold: member forms, the people's answers and consultations.
PRIVATE_MARKERS = [
    "2026年度党建工作满意度调查",
    "第一党支部2026年度民主评议党员",
    "第四季度主题党日活动意见征集",
    "建议把专题党课的视频放到党员学习里",
    "学习认真，带头完成学习任务",
    "工资调整后党费怎么重新核定",
    "我是第一党支部的钱学员",
    "钱学员你好",
    "入党积极分子多长时间可以列为发展对象",
    "建议在党员学习中增加党费交纳提醒",
    "建议在网站上公布党员活动室的开放时间",  # a visitor's message to 群众心声
]


def test_load_demo_shows_forms_and_consultations(home, site_paths, publish, public_site):
    from cms.accounts.models import User
    from cms.consultations import selectors as consultations
    from cms.consultations.models import Consultation, FaqPage, State
    from cms.feedback import selectors as forms
    from cms.feedback.models import FeedbackFormPage, Response

    call_command("load_demo", verbosity=0)
    first = (_counts(), _feedback_counts())
    call_command("load_demo", verbosity=0)
    assert (_counts(), _feedback_counts()) == first  # a second run adds no form, answer or question

    # The demo member's 我的问卷 has all three groups; 问卷结果 have answers to show.
    member = User.objects.get(username="member1")
    states = {
        form.title: forms.form_state(form, answered)
        for form, answered in [(f, f.participations.filter(user=member).exists()) for f in forms.forms_for(member)]
    }
    assert states == {
        "第一党支部2026年度民主评议党员": "open",
        "2026年度党建工作满意度调查": "answered",
        "第四季度主题党日活动意见征集": "closed",
    }
    appraisal = FeedbackFormPage.objects.get(slug="peer-review-branch1-2026")
    assert appraisal.anonymous and appraisal.responses.count() == 2
    assert not appraisal.responses.filter(user__isnull=False).exists()
    assert not appraisal.responses.filter(submitted_at__isnull=False).exists()
    assert Response.objects.filter(form__slug="satisfaction-2026").count() == 3
    message = forms.public_forms().get()
    assert message.title == "群众心声" and message.responses.count() == 2

    # Consultations: the member's answered question (with consent) and suggestion; an overdue one.
    assert {(c.subject, c.state) for c in consultations.mine(member)} == {
        ("工资调整后党费怎么重新核定？", State.ANSWERED),
        ("建议在党员学习中增加党费交纳提醒", State.PENDING),
    }
    answered = Consultation.objects.get(subject="工资调整后党费怎么重新核定？")
    assert answered.public_consent and answered.faq_pages.filter(live=True).exists()
    assert consultations.unseen_answers(member) == 1  # the badge on 我的咨询
    overdue = Consultation.objects.get(asker__username="activist1")
    assert overdue.state == State.PENDING and consultations.is_overdue(overdue)
    assert FaqPage.objects.live().count() == 2

    publish()
    site = public_site.all_text()
    assert public_site.exists("interact/message/index.html")
    assert 'id="dj-public-form"' in public_site.text("interact/message/index.html")
    assert public_site.exists("interact/faq/dues-after-pay-change/index.html")
    assert "工资调整后，党费从什么时候按新标准交纳？" in public_site.text(
        "interact/faq/dues-after-pay-change/index.html"
    )
    assert public_site.exists("interact/faq/relation-transfer/index.html")
    content = "\n".join(path.read_text(encoding="utf-8") for path in site_paths["CONTENT_DIR"].rglob("*.md"))
    assert "群众心声" in content and "调动到外地工作，组织关系怎么转接？" in content
    for marker in PRIVATE_MARKERS:
        assert marker not in content, marker
        assert marker not in site, marker
    # The asker's name, account and branch never reach the FAQ page made from their question.
    faq = (site_paths["CONTENT_DIR"] / "interact/faq/dues-after-pay-change.md").read_text(encoding="utf-8")
    for detail in ("钱学员", "member1", "第一党支部"):
        assert detail not in faq, detail
