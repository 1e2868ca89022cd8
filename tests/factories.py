"""factory_boy factories for the CMS. Pages are created through `parent.add_child` like the
admin does, and published through a revision so Wagtail's signals fire."""

import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.accounts.models import BranchRole, MemberStatus, Membership, OrganisationUnit, User
from cms.audit import context as audit_context
from cms.audit.models import Action
from cms.consultations.models import FaqPage
from cms.openness.models import NewsPage, OpennessCategory, OpennessPage, SectionPage, TheoryPage
from cms.openness.services import ensure_home_page

PASSWORD = "Test-pass-2026"


class OrganisationUnitFactory(DjangoModelFactory):
    class Meta:
        model = OrganisationUnit
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"第{n}党支部")
    kind = OrganisationUnit.Kind.BRANCH


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "王"
    first_name = factory.Sequence(lambda n: f"同志{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        if names:
            self.groups.add(*[Group.objects.get(name=name) for name in names])
        # Setting up a test person is not an audited password change (cms/audit).
        with audit_context.suppress({Action.PASSWORD_CHANGED}):
            self.save()


class MembershipFactory(DjangoModelFactory):
    """A person's Party record; ``user__organisation=branch`` puts them in a branch."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    status = MemberStatus.APPLICANT
    role = BranchRole.MEMBER


class CollectionFactory:
    @staticmethod
    def create(name: str, parent=None) -> Collection:
        parent = parent or Collection.get_first_root_node()
        return parent.add_child(name=name)


class ImageFactory(DjangoModelFactory):
    class Meta:
        model = get_image_model()

    title = factory.Sequence(lambda n: f"图片{n}")
    file = factory.django.ImageField(width=320, height=200, color="red", filename="photo.jpg")
    collection = factory.LazyFunction(Collection.get_first_root_node)


class DocumentFactory(DjangoModelFactory):
    class Meta:
        model = get_document_model()

    title = factory.Sequence(lambda n: f"文件{n}")
    file = factory.django.FileField(data=b"%PDF-1.4 test document", filename="file.pdf")
    collection = factory.LazyFunction(Collection.get_first_root_node)


class PageFactory(DjangoModelFactory):
    """Create pages with `parent=`; `publish=False` keeps a draft; `user=` is the revision author."""

    class Meta:
        abstract = True

    title = factory.Sequence(lambda n: f"测试页面{n}")
    slug = factory.Sequence(lambda n: f"page-{n}")

    @classmethod
    def _create(cls, model_class, parent=None, publish=True, user=None, tags=(), **kwargs):
        parent = parent or ensure_home_page()
        page = model_class(live=False, **kwargs)
        parent.add_child(instance=page)
        if tags:
            page.tags.set(list(tags))
        revision = page.save_revision(user=user)
        if publish:
            revision.publish(user=user, skip_permission_checks=True)
            page.refresh_from_db()
        return page


class SectionPageFactory(PageFactory):
    class Meta:
        model = SectionPage

    title = factory.Sequence(lambda n: f"栏目{n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    intro = "栏目介绍"


class NewsPageFactory(PageFactory):
    class Meta:
        model = NewsPage

    summary = "新闻摘要"


class TheoryPageFactory(PageFactory):
    class Meta:
        model = TheoryPage


class OpennessPageFactory(PageFactory):
    class Meta:
        model = OpennessPage

    category = factory.LazyFunction(lambda: OpennessCategory.objects.get(name="三会一课"))


def rich_body(*paragraphs: str) -> list:
    from wagtail.rich_text import RichText

    return [("paragraph", RichText("".join(f"<p>{text}</p>" for text in paragraphs)))]


class CourseFactory(PageFactory):
    """A live course under the private 学习园地 root (created on first use)."""

    class Meta:
        model = "study.CoursePage"

    title = factory.Sequence(lambda n: f"课程{n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    intro = "课程简介"

    @classmethod
    def _create(cls, model_class, parent=None, audience_units=(), **kwargs):
        from cms.study.services import ensure_study_root

        course = super()._create(model_class, parent=parent or ensure_study_root(), **kwargs)
        if audience_units:
            course.audience_units.set(list(audience_units))
            course.save_revision().publish(skip_permission_checks=True)
        return course


class LessonFactory(PageFactory):
    """A live lesson; pass ``parent=course``."""

    class Meta:
        model = "study.LessonPage"

    title = factory.Sequence(lambda n: f"课时{n}")
    slug = factory.Sequence(lambda n: f"lesson-{n}")
    summary = "课时摘要"
    min_study_minutes = 1
    body = factory.LazyFunction(lambda: rich_body("课时正文：学习党章，坚定理想信念。"))


class LessonProgressFactory(DjangoModelFactory):
    """A progress row as the services leave it (for arranging a state; code under test writes
    rows through ``cms.study.services`` only)."""

    class Meta:
        model = "study.LessonProgress"

    opened_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=10))
    last_active_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=1))
    seconds_spent = 0


class FormsIndexFactory:
    """The private 问卷中心 root (created on first use)."""

    @staticmethod
    def create():
        from cms.feedback.services import ensure_forms_root

        return ensure_forms_root()


class FeedbackFormFactory(PageFactory):
    """A live member form under 问卷中心; ``parent=section`` makes a public form; ``fields=[...]``
    are ``FormFieldFactory`` keyword dicts, e.g. ``[{"label": "姓名"}]``."""

    class Meta:
        model = "feedback.FeedbackFormPage"

    title = factory.Sequence(lambda n: f"问卷{n}")
    slug = factory.Sequence(lambda n: f"form-{n}")
    intro = "问卷说明"
    thank_you_text = "感谢您的参与。"

    @classmethod
    def _create(cls, model_class, parent=None, audience_units=(), fields=(), publish=True, **kwargs):
        from cms.feedback.services import ensure_forms_root

        page = model_class(live=False, **kwargs)
        (parent or ensure_forms_root()).add_child(instance=page)
        if audience_units:
            page.audience_units.set(list(audience_units))
        for order, spec in enumerate(fields):
            FormFieldFactory(page=page, sort_order=order, **spec)
        revision = page.save_revision()
        if publish:
            revision.publish(skip_permission_checks=True)
            page.refresh_from_db()
        return page


class FormFieldFactory(DjangoModelFactory):
    class Meta:
        model = "feedback.FormField"

    label = factory.Sequence(lambda n: f"问题{n}")
    field_type = "singleline"
    required = True


class FaqPageFactory(PageFactory):
    """A 常见问题 page (cms/consultations); live pages must be ticked 已去除个人信息."""

    class Meta:
        model = FaqPage

    title = factory.Sequence(lambda n: f"常见问题{n}")
    slug = factory.Sequence(lambda n: f"faq-{n}")
    question = "如何办理组织关系转接？"
    personal_data_removed = True
