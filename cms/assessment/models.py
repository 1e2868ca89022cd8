"""Assessment (测评): the question bank, quizzes and contests, attempts, mastery and the
wrong-answer notebook.

* ``KnowledgePoint`` (知识点): a tree editors maintain (snippets).
* ``Question``: a bank question, a snippet under the 审核发布 workflow; only *live* rows are
  ever put in front of members (a draft edit of a live question stays in its revisions).
* ``QuizPage``: a quiz, contest or practice set under ``QuizIndexPage`` (测评中心), a private
  root directly under Wagtail's root and outside every Site like 学习园地, so neither the
  quizzes nor the bank ever reach content/ or the public site.
* ``Attempt`` / ``AttemptAnswer``: one sitting, with the question order and option
  permutations frozen when it starts, and the answers saved as the member goes.
* ``Mastery`` / ``NotebookEntry``: derived from graded answers by ``services``.
* ``ContestResultPage`` (竞赛成绩公布): the one assessment page type on the public site, an
  article under a section whose export appends its contest's ranking (``publication``), only
  when the editor chose to publish that contest's ranking and the contest has ended.
"""

from __future__ import annotations

from django import forms
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from taggit.models import TaggedItemBase
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Orderable,
    Page,
    RevisionMixin,
    WorkflowMixin,
)
from wagtail.search import index

from cms.accounts.models import OrganisationUnit, User
from cms.core.forms import PublicPageForm
from cms.core.models import ArticlePage
from cms.openness.models import ARTICLE_META_PANEL, LINK_CHECK_PANEL
from cms.study.models import AUDIENCE_STATUS_CHOICES

from .answers import OPTION_LETTERS, QuestionType, parse_answer


class KnowledgePoint(models.Model):
    """知识点: a node of the tree editors maintain (e.g. 党章 › 党员的权利和义务)."""

    name = models.CharField("名称", max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name="上级知识点", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sort_order = models.IntegerField("排序", default=0)

    panels = [FieldPanel("name"), FieldPanel("parent"), FieldPanel("sort_order")]

    class Meta:
        verbose_name = "知识点"
        verbose_name_plural = "知识点"
        ordering = ["sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="knowledge_point_unique_name_per_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="knowledge_point_unique_top_level_name"
            ),
        ]

    def __str__(self):
        return self.path_name

    @property
    def path_name(self) -> str:
        names, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            names.append(node.name)
            node = node.parent
        return " / ".join(reversed(names))

    def clean(self):
        node, seen = self.parent, set()
        while node is not None and node.pk not in seen:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError({"parent": "上级知识点不能是它自己或它的下级。"})
            seen.add(node.pk)
            node = node.parent
        siblings = KnowledgePoint.objects.filter(parent=self.parent, name=self.name).exclude(pk=self.pk)
        if siblings.exists():
            raise ValidationError({"name": "同一上级下已有同名知识点。"})


class Difficulty(models.IntegerChoices):
    EASY = 1, "易"
    MEDIUM = 2, "中"
    HARD = 3, "难"


class Question(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, index.Indexed, ClusterableModel):
    """A bank question. ``answer`` is in the notation of ``cms.assessment.answers``."""

    type = models.CharField("题型", max_length=16, choices=QuestionType.CHOICES, default=QuestionType.SINGLE)
    stem = models.TextField(
        "题干", max_length=2000, help_text="填空题用“____”或“（ ）”标出空位，空的个数须与答案一致。"
    )
    option_a = models.CharField("选项A", max_length=500, blank=True)
    option_b = models.CharField("选项B", max_length=500, blank=True)
    option_c = models.CharField("选项C", max_length=500, blank=True)
    option_d = models.CharField("选项D", max_length=500, blank=True)
    option_e = models.CharField("选项E", max_length=500, blank=True)
    option_f = models.CharField("选项F", max_length=500, blank=True)
    answer = models.CharField(
        "答案",
        max_length=2000,
        help_text="选择题填选项字母（如 B 或 ACD）；判断题填“正确”或“错误”；填空题各空用“；”分隔，"
        "同一空可接受的多个答案用“|”分隔（如 1921|一九二一；上海）。",
    )
    explanation = models.TextField("解析", blank=True, max_length=5000)
    knowledge_points = ParentalManyToManyField(KnowledgePoint, verbose_name="知识点", related_name="questions")
    difficulty = models.PositiveSmallIntegerField("难度", choices=Difficulty.choices, default=Difficulty.MEDIUM)
    practice_allowed = models.BooleanField(
        "可用于练习",
        default=True,
        help_text="取消勾选后，该题只出现在指定它的测验或竞赛中，不出现在每日一练、薄弱点练习中（如竞赛保密题）。",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="question")
    workflow_states = GenericRelation(
        "wagtailcore.WorkflowState",
        content_type_field="base_content_type",
        object_id_field="object_id",
        related_query_name="question",
        for_concrete_model=False,
    )

    panels = [
        FieldRowPanel([FieldPanel("type"), FieldPanel("difficulty")]),
        FieldPanel("stem"),
        MultiFieldPanel(
            [FieldPanel(f"option_{letter.lower()}") for letter in OPTION_LETTERS],
            heading="选项",
            help_text="单选、多选题至少填两个选项；判断题和填空题不填。",
        ),
        FieldPanel("answer"),
        FieldPanel("explanation"),
        FieldPanel("knowledge_points", widget=forms.CheckboxSelectMultiple),
        FieldPanel("practice_allowed"),
    ]
    search_fields = [index.SearchField("stem"), index.AutocompleteField("stem")]

    class Meta:
        verbose_name = "题目"
        verbose_name_plural = "题库"

    def __str__(self):
        stem = " ".join(self.stem.split())
        return f"[{self.type_label}] {stem[:40]}{'…' if len(stem) > 40 else ''}"

    @property
    def revisions(self):
        return self._revisions

    @property
    def type_label(self) -> str:
        return QuestionType.LABELS.get(self.type, self.type)

    def options(self) -> dict[str, str]:
        """Original letter → text, for the options that have text."""
        return {
            letter: getattr(self, f"option_{letter.lower()}")
            for letter in OPTION_LETTERS
            if getattr(self, f"option_{letter.lower()}").strip()
        }

    def option_letters(self) -> str:
        return "".join(self.options())

    def blank_count(self) -> int:
        return len(self.answer.split(";")) if self.type == QuestionType.FILL_BLANK else 0

    def clean(self):
        super().clean()
        errors = question_errors(self.type, self.options(), self.answer)
        if errors:
            raise ValidationError(errors)
        self.answer = parse_answer(self.type, self.answer, self.option_letters())


def question_errors(kind: str, options: dict[str, str], answer: str) -> dict[str, str]:
    """The rules a question must meet, field → Chinese message (shared with the import)."""
    errors: dict[str, str] = {}
    letters = "".join(options)
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        if len(options) < 2:
            errors["option_a"] = "选择题至少需要两个选项。"
        elif letters != OPTION_LETTERS[: len(letters)]:
            errors["option_a"] = "选项须从 A 开始连续填写，中间不能空缺。"
    elif options:
        errors["option_a"] = f"{QuestionType.LABELS.get(kind, '该题型')}不填选项。"
    if "option_a" not in errors:
        try:
            parse_answer(kind, answer, letters)
        except ValidationError as error:
            errors["answer"] = error.messages[0]
    return errors


class QuizIndexPage(Page):
    """测评中心: the one private root of all quizzes, contests and practice sets."""

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["assessment.QuizPage"]
    max_count = 1

    class Meta:
        verbose_name = "测评中心"
        verbose_name_plural = "测评中心"


class QuizKind(models.TextChoices):
    QUIZ = "quiz", "测验"
    CONTEST = "contest", "知识竞赛"
    PRACTICE = "practice", "练习"


class MultipleChoiceRule(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", "全对才得分"
    PARTIAL = "partial", "少选按比例得分，错选不得分"


class QuizForm(WagtailAdminPageForm):
    audience_statuses = forms.MultipleChoiceField(
        label="面向身份",
        choices=AUDIENCE_STATUS_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不勾选表示面向所有身份（已转出人员除外）。",
    )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == QuizKind.CONTEST:
            if not cleaned.get("starts_at"):
                self.add_error("starts_at", "知识竞赛须设置统一开始时间。")
            if not cleaned.get("time_limit_minutes"):
                self.add_error("time_limit_minutes", "知识竞赛须设置答题时限。")
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "结束时间须晚于开放时间。")
        if cleaned.get("ranking_public") and kind != QuizKind.CONTEST:
            self.add_error("ranking_public", "只有知识竞赛有排名。")
        return cleaned


class QuizPage(Page):
    """A quiz (测验), contest (知识竞赛) or practice set (练习): a fixed list of questions
    (``QuizQuestion``) or rules drawing them at random (``QuizRule``) — rules win when both
    are given."""

    intro = models.TextField("说明", blank=True, max_length=2000)
    kind = models.CharField("类型", max_length=16, choices=QuizKind.choices, default=QuizKind.QUIZ)
    required = models.BooleanField("必答", default=False, help_text="必答测验会出现在支部书记的“未参加”名单中。")
    time_limit_minutes = models.PositiveSmallIntegerField(
        "答题时限（分钟）",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text="留空表示不限时。",
    )
    attempt_limit = models.PositiveSmallIntegerField(
        "作答次数上限",
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="留空表示不限次数；知识竞赛只能作答一次。",
    )
    pass_mark = models.PositiveSmallIntegerField("及格分（百分制）", default=60, validators=[MaxValueValidator(100)])
    opens_at = models.DateTimeField("开放时间", null=True, blank=True)
    closes_at = models.DateTimeField("结束时间", null=True, blank=True)
    starts_at = models.DateTimeField(
        "统一开始时间", null=True, blank=True, help_text="知识竞赛：所有人同时开始，答题截止时间为开始时间加答题时限。"
    )
    shuffle_options = models.BooleanField("选项乱序", default=True, help_text="每次作答随机排列选择题的选项。")
    multiple_choice_rule = models.CharField(
        "多选题计分", max_length=16, choices=MultipleChoiceRule.choices, default=MultipleChoiceRule.ALL_OR_NOTHING
    )
    allow_review = models.BooleanField("交卷后可查看答案与解析", default=True)
    audience_statuses = models.JSONField("面向身份", default=list, blank=True)
    audience_units = ParentalManyToManyField(
        OrganisationUnit,
        verbose_name="面向组织",
        blank=True,
        related_name="+",
        help_text="不选择表示面向全体；选择党委或党总支时包括其下所有支部。",
    )
    course = models.ForeignKey(
        "study.CoursePage",
        verbose_name="关联课程",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="选择后，学员须通过本测验，该课程才算学完。",
    )
    ranking_members = models.BooleanField("在党员学习区公布排名", default=False)
    ranking_public = models.BooleanField(
        "在公开网站公布排名",
        default=False,
        help_text="勾选后，竞赛结束时可在公开网站栏目中发布“竞赛成绩公布”页面；取消勾选后，已发布页面中的排名自动撤下。",
    )
    ranking_hide_names = models.BooleanField(
        "公开排名时隐藏姓名", default=True, help_text="公开网站上的姓名只显示姓氏（如“张*”）。"
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("required")]),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("starts_at"),
                FieldRowPanel([FieldPanel("time_limit_minutes"), FieldPanel("attempt_limit"), FieldPanel("pass_mark")]),
            ],
            heading="时间与次数",
        ),
        MultiFieldPanel(
            [FieldPanel("shuffle_options"), FieldPanel("multiple_choice_rule"), FieldPanel("allow_review")],
            heading="作答与计分",
        ),
        InlinePanel(
            "fixed_questions",
            heading="指定题目",
            label="题目",
            help_text="按顺序指定题目；若同时设置了抽题规则，则按规则抽题。",
        ),
        InlinePanel(
            "rules", heading="抽题规则", label="规则", help_text="从某知识点（含下级）按难度随机抽取若干题，不重复。"
        ),
        MultiFieldPanel(
            [FieldPanel("audience_statuses"), FieldPanel("audience_units"), FieldPanel("course")], heading="作答对象"
        ),
        MultiFieldPanel(
            [FieldPanel("ranking_members"), FieldPanel("ranking_public"), FieldPanel("ranking_hide_names")],
            heading="竞赛排名",
        ),
    ]
    base_form_class = QuizForm
    parent_page_types = ["assessment.QuizIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "测验"
        verbose_name_plural = "测验"

    @property
    def is_contest(self) -> bool:
        return self.kind == QuizKind.CONTEST

    @property
    def effective_attempt_limit(self) -> int | None:
        return 1 if self.is_contest else self.attempt_limit

    @property
    def effective_opens_at(self):
        return self.starts_at if self.is_contest and self.starts_at else self.opens_at


class QuizQuestion(Orderable):
    quiz = ParentalKey(QuizPage, related_name="fixed_questions", on_delete=models.CASCADE)
    question = models.ForeignKey(Question, verbose_name="题目", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("question")]


class QuizRule(Orderable):
    quiz = ParentalKey(QuizPage, related_name="rules", on_delete=models.CASCADE)
    knowledge_point = models.ForeignKey(
        KnowledgePoint, verbose_name="知识点", on_delete=models.PROTECT, related_name="+"
    )
    difficulty = models.PositiveSmallIntegerField(
        "难度", choices=Difficulty.choices, null=True, blank=True, help_text="留空表示不限难度。"
    )
    count = models.PositiveSmallIntegerField(
        "题数", default=5, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    panels = [FieldRowPanel([FieldPanel("knowledge_point"), FieldPanel("difficulty"), FieldPanel("count")])]


class AttemptSource(models.TextChoices):
    QUIZ = "quiz", "测验"
    DAILY = "daily", "每日一练"
    WEAK = "weak", "薄弱点练习"
    NOTEBOOK = "notebook", "错题练习"


class Attempt(models.Model):
    """One sitting of a quiz or a practice. ``items`` is frozen at the start:
    ``[{"q": question id, "o": [original option letters in the order shown]}]``, so shown key
    i (A, B, …) means original letter ``o[i]``. Rules copied from the quiz at the start
    (``partial_credit``, ``allow_review``, ``pass_mark``) keep a graded attempt stable when
    the editor changes the quiz later."""

    user = models.ForeignKey(User, verbose_name="学员", on_delete=models.CASCADE, related_name="attempts")
    quiz = models.ForeignKey(
        QuizPage, verbose_name="测验", null=True, blank=True, on_delete=models.CASCADE, related_name="attempts"
    )
    source = models.CharField("来源", max_length=16, choices=AttemptSource.choices, default=AttemptSource.QUIZ)
    practice_day = models.DateField("练习日期", null=True, blank=True)
    unit = models.ForeignKey(
        OrganisationUnit, verbose_name="所在组织", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    items = models.JSONField("题目与选项顺序", default=list)
    partial_credit = models.BooleanField(default=False)
    allow_review = models.BooleanField(default=True)
    pass_mark = models.PositiveSmallIntegerField(null=True, blank=True)
    started_at = models.DateTimeField("开始时间")
    deadline = models.DateTimeField("截止时间", null=True, blank=True)
    submitted_at = models.DateTimeField("交卷时间", null=True, blank=True)
    late = models.BooleanField("超时提交", default=False)
    score = models.DecimalField("得分", max_digits=4, decimal_places=1, null=True, blank=True)
    correct_count = models.PositiveIntegerField("答对题数", default=0)
    seconds_used = models.PositiveIntegerField("用时（秒）", null=True, blank=True)
    key = models.UUIDField("提交标识", null=True, blank=True, unique=True)
    #: Set when the answers handed in at ``submitted_at`` have been graded (score, mastery,
    #: notebook): by the worker within a second or so of the hand-in, or by the next request
    #: that needs the result when the worker is busy (``services.grade_submitted``).
    graded_at = models.DateTimeField("判分时间", null=True, blank=True)

    class Meta:
        verbose_name = "作答记录"
        verbose_name_plural = "作答记录"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "quiz"],
                condition=Q(submitted_at__isnull=True, quiz__isnull=False),
                name="one_open_attempt_per_quiz",
            ),
            models.UniqueConstraint(
                fields=["user", "source"],
                condition=Q(submitted_at__isnull=True, quiz__isnull=True),
                name="one_open_practice_per_source",
            ),
            models.UniqueConstraint(
                fields=["user", "practice_day"], condition=Q(source="daily"), name="one_daily_practice_per_day"
            ),
        ]
        indexes = [
            models.Index(fields=["quiz", "submitted_at"]),
            # The grading queue: hand-ins waiting for their score, oldest first.
            models.Index(
                fields=["submitted_at"],
                condition=Q(submitted_at__isnull=False, graded_at__isnull=True),
                name="attempt_grading_queue",
            ),
        ]
        permissions = [("view_branch_assessment", "可以查看本支部测评统计")]

    def __str__(self):
        return f"{self.user} · {self.quiz.title if self.quiz_id else self.get_source_display()}"

    @property
    def submitted(self) -> bool:
        """Handed in: no more answers are taken (the score may still be on its way)."""
        return self.submitted_at is not None

    @property
    def graded(self) -> bool:
        return self.graded_at is not None

    @property
    def passed(self) -> bool | None:
        if self.score is None or self.pass_mark is None:
            return None
        return self.score >= self.pass_mark

    def question_ids(self) -> list[int]:
        return [item["q"] for item in self.items]


class AttemptAnswer(models.Model):
    """One saved answer (original option letters, or one string per blank). ``credit`` is
    set when the attempt is graded; unanswered questions get a row with ``answer=None``."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    answer = models.JSONField("答案", null=True, blank=True)
    saved_at = models.DateTimeField("保存时间")
    credit = models.FloatField("得分率", null=True, blank=True)

    class Meta:
        verbose_name = "作答答案"
        verbose_name_plural = "作答答案"
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="one_answer_per_question")]


class Mastery(models.Model):
    """Exponentially weighted share of right answers per member and knowledge point.

    Kept incrementally: on each graded answer at time t, both sums decay by
    0.5^((t − as_of) / half-life) and the new answer is added with weight 1, so
    ``weighted_credit / weighted_count`` = Σ wᵢ·creditᵢ / Σ wᵢ with wᵢ = 0.5^(ageᵢ / half-life)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="mastery")
    knowledge_point = models.ForeignKey(KnowledgePoint, on_delete=models.CASCADE, related_name="+")
    weighted_credit = models.FloatField(default=0)
    weighted_count = models.FloatField(default=0)
    answered = models.PositiveIntegerField(default=0)
    as_of = models.DateTimeField()

    class Meta:
        verbose_name = "掌握度"
        verbose_name_plural = "掌握度"
        constraints = [models.UniqueConstraint(fields=["user", "knowledge_point"], name="one_mastery_per_point")]

    @property
    def percent(self) -> float:
        return round(100 * self.weighted_credit / self.weighted_count, 1) if self.weighted_count else 0.0


class NotebookEntry(models.Model):
    """错题本: a question the member got wrong (in an attempt that showed the answers). It
    leaves (``cleared_at``) after two right answers in a row on different days."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notebook")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    wrong_count = models.PositiveIntegerField(default=0)
    first_wrong_at = models.DateTimeField()
    last_wrong_at = models.DateTimeField()
    last_answer = models.JSONField(null=True, blank=True)
    correct_streak = models.PositiveSmallIntegerField(default=0)
    streak_day = models.DateField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "错题"
        verbose_name_plural = "错题本"
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="one_notebook_entry_per_question")]


# ------------------------------------------------------------------------- 竞赛成绩公布 (public)


class ContestResultPageForm(PublicPageForm):
    def clean(self):
        cleaned = super().clean()
        if self.publishing_requested() and cleaned.get("contest") is not None:
            from .selectors import public_ranking_refusal

            reason = public_ranking_refusal(cleaned["contest"])
            if reason:
                self.add_error("contest", reason)
        return cleaned


class ContestResultPageTag(TaggedItemBase):
    content_object = ParentalKey("assessment.ContestResultPage", on_delete=models.CASCADE, related_name="tagged_items")


class ContestResultPage(ArticlePage):
    """竞赛成绩公布: an article (type ``contestresult``) whose export appends the ranking of its
    contest after the body (``export_appendix``): 名次, 姓名 (masked when the contest says
    so), 单位, 得分, 用时. It can be submitted or published only while the contest's ranking
    may be public (``selectors.public_ranking_refusal``); should the editor of the contest
    take that back later, the page is exported again with a notice instead of the names
    (``signals``)."""

    type_label = "竞赛成绩公布"
    contest = models.ForeignKey(
        QuizPage,
        verbose_name="知识竞赛",
        null=True,
        on_delete=models.SET_NULL,
        related_name="result_pages",
        limit_choices_to={"kind": QuizKind.CONTEST},
        help_text="须在竞赛中勾选“在公开网站公布排名”，并在竞赛结束后才能发布。",
    )
    ranking_limit = models.PositiveSmallIntegerField(
        "公布前 N 名",
        null=True,
        blank=True,
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="留空表示公布全部成绩；名次并列时一并公布。",
    )
    tags = ClusterTaggableManager(through=ContestResultPageTag, blank=True, verbose_name="标签")

    content_panels = (
        [LINK_CHECK_PANEL]
        + Page.content_panels
        + [
            FieldRowPanel([FieldPanel("contest", widget=forms.Select), FieldPanel("ranking_limit")]),
            ARTICLE_META_PANEL,
            FieldPanel("summary"),
            FieldPanel("cover_image"),
            FieldPanel("body", heading="说明", help_text="成绩表附在正文之后。"),
        ]
    )
    base_form_class = ContestResultPageForm
    template = "openness/article_page.html"

    class Meta:
        verbose_name = "竞赛成绩公布"
        verbose_name_plural = "竞赛成绩公布"

    def clean(self):
        super().clean()
        if self.going_public():
            from .selectors import public_ranking_refusal

            reason = public_ranking_refusal(QuizPage.objects.filter(pk=self.contest_id).first())
            if reason:
                raise ValidationError({"contest": reason})

    def export_appendix(self) -> str:
        from .publication import ranking_markdown

        return ranking_markdown(QuizPage.objects.filter(pk=self.contest_id).first(), self.ranking_limit)
