"""Demo question bank, a quiz linked to the 学习贯彻党章 course, a practice set and a contest.
Idempotent like the rest of the demo (questions are looked up by stem, pages by slug)."""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone
from wagtail.models import Page

from cms.accounts.models import MemberStatus
from cms.study.models import CoursePage

from .answers import QuestionType
from .models import Attempt, KnowledgePoint, MultipleChoiceRule, Question, QuizKind, QuizPage, QuizQuestion, QuizRule
from .services import ensure_quiz_root, grade_submitted, save_answer, start_attempt, submit

S, M, TF, FB = QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE, QuestionType.FILL_BLANK

#: (point path, type, stem, options, answer, explanation, difficulty)
QUESTIONS = [
    (
        "党章/总纲",
        S,
        "中国共产党的根本宗旨是什么？",
        ["全心全意为人民服务", "实现共产主义", "发展生产力", "依法治国"],
        "A",
        "党章总纲规定：党除了工人阶级和最广大人民群众的利益，没有自己特殊的利益。党的根本宗旨是全心全意为人民服务。",
        1,
    ),
    (
        "党章/总纲",
        S,
        "中国共产党的最高理想和最终目标是？",
        ["全面建成小康社会", "实现共产主义", "实现现代化", "消除贫困"],
        "B",
        "党章总纲：党的最高理想和最终目标是实现共产主义。",
        1,
    ),
    (
        "党章/总纲",
        FB,
        "中国共产党以马克思列宁主义、毛泽东思想、邓小平理论、“三个代表”重要思想、科学发展观、____思想作为自己的行动指南。",
        [],
        "习近平新时代中国特色社会主义",
        "见党章总纲第一段。",
        2,
    ),
    (
        "党章/党员的义务和权利",
        M,
        "下列属于党员权利的有（　）。",
        ["参加党的有关会议", "在党的会议上参加讨论", "对党的工作提出建议和倡议", "不参加组织生活"],
        "ABC",
        "党章第四条列出了党员的八项权利；不参加组织生活违反党员义务。",
        2,
    ),
    (
        "党章/党员的义务和权利",
        TF,
        "预备党员没有表决权、选举权和被选举权。",
        [],
        "正确",
        "党章第七条：预备党员的义务同正式党员一样；预备党员的权利，除了没有表决权、选举权和被选举权以外，也同正式党员一样。",
        1,
    ),
    (
        "党章/党员的义务和权利",
        S,
        "预备党员的预备期为（　）。",
        ["半年", "一年", "两年", "三年"],
        "B",
        "党章第七条：预备党员的预备期为一年。",
        1,
    ),
    (
        "党的纪律/六项纪律",
        M,
        "党的六项纪律包括（　）。",
        ["政治纪律", "组织纪律", "廉洁纪律", "群众纪律", "工作纪律", "生活纪律"],
        "ABCDEF",
        "《中国共产党纪律处分条例》规定了政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律和生活纪律。",
        2,
    ),
    (
        "党的纪律/六项纪律",
        TF,
        "党的纪律处分只有警告和严重警告两种。",
        [],
        "错误",
        "党纪处分有五种：警告、严重警告、撤销党内职务、留党察看、开除党籍。",
        2,
    ),
    (
        "党的纪律/六项纪律",
        S,
        "党纪处分中最重的一种是（　）。",
        ["留党察看", "撤销党内职务", "开除党籍", "严重警告"],
        "C",
        "开除党籍是党内的最高处分。",
        1,
    ),
    (
        "党史/建党",
        FB,
        "中国共产党第一次全国代表大会于____年在____召开。",
        [],
        "1921|一九二一；上海|上海市",
        "1921年7月23日，中共一大在上海法租界望志路106号开幕，后转移到浙江嘉兴南湖的游船上闭幕。",
        1,
    ),
    (
        "党史/建党",
        S,
        "中共一大最后一天的会议转移到哪里举行？",
        ["杭州西湖", "嘉兴南湖", "苏州太湖", "南京玄武湖"],
        "B",
        "因会场受到搜查，一大最后一天的会议转移到浙江嘉兴南湖的一条游船上举行。",
        2,
    ),
    (
        "党史/建党",
        TF,
        "遵义会议是党的历史上一个生死攸关的转折点。",
        [],
        "正确",
        "遵义会议在最危急关头挽救了党、挽救了红军、挽救了中国革命。",
        1,
    ),
]


def _point(path: str) -> KnowledgePoint:
    parent = None
    for name in path.split("/"):
        parent, _ = KnowledgePoint.objects.get_or_create(name=name, parent=parent)
    return parent


def _question(author, publisher, path, kind, stem, options, answer, explanation, difficulty) -> Question:
    existing = Question.objects.filter(stem=stem).first()
    if existing:
        return existing
    question = Question(
        type=kind,
        stem=stem,
        answer=answer,
        explanation=explanation,
        difficulty=difficulty,
        live=False,
        **{f"option_{'abcdef'[i]}": text for i, text in enumerate(options)},
    )
    question.full_clean(exclude=["knowledge_points"])
    question.save()
    question.knowledge_points.set([_point(path)])
    question.save_revision(user=author).publish(user=publisher)
    question.refresh_from_db()
    return question


def _quiz(root: Page, quiz: QuizPage, author, publisher, *, questions=(), rules=()) -> QuizPage:
    existing = Page.objects.child_of(root).filter(slug=quiz.slug).first()
    if existing:
        return existing.specific
    quiz.owner = author
    quiz.live = False
    root.add_child(instance=quiz)
    quiz.fixed_questions = [QuizQuestion(question=q, sort_order=i) for i, q in enumerate(questions)]
    quiz.rules = [QuizRule(knowledge_point=p, difficulty=d, count=c, sort_order=i) for i, (p, d, c) in enumerate(rules)]
    quiz.save()
    quiz.save_revision(user=author).publish(user=publisher)
    quiz.refresh_from_db()
    return quiz


#: The ended contest's sittings: who, minutes taken, and their answers by a piece of the
#: stem (option texts, the blanks' texts, or 正确/错误) — one ranking to look at in the demo.
#: ``member1`` is left out, so the member the help's other screenshots follow keeps his
#: mastery map and 错题本 as they are.
CONTEST_SITTINGS = [
    ("branch1", 6, {"一次全国代表大会": ["1921", "上海"], "最后一天": ["嘉兴南湖"], "遵义会议": "正确"}),
    ("member3", 9, {"一次全国代表大会": ["1921", "上海"], "最后一天": ["嘉兴南湖"], "遵义会议": "正确"}),
    ("member2", 5, {"一次全国代表大会": ["1921", "北京"], "最后一天": ["嘉兴南湖"], "遵义会议": "正确"}),
]


def _sit_contest(contest: QuizPage, users) -> None:
    """The demo's sittings of an ended contest, once (a second load_demo leaves them)."""
    if Attempt.objects.filter(quiz=contest).exists():
        return
    for username, minutes, answers in CONTEST_SITTINGS:
        person = users.get(username)
        if person is None:
            continue
        attempt, _ = start_attempt(person, contest, now=contest.starts_at + datetime.timedelta(seconds=20))
        for item in attempt.items:
            question = Question.objects.get(pk=item["q"])
            answer = next(value for stem, value in answers.items() if stem in question.stem)
            if isinstance(answer, str):  # 判断题: A 正确, B 错误
                shown = ["A" if answer == "正确" else "B"]
            elif item["t"] == FB:
                shown = answer
            else:
                options = {getattr(question, f"option_{letter.lower()}"): letter for letter in item["o"]}
                shown = ["ABCDEF"[item["o"].index(options[text])] for text in answer]
            save_answer(person, attempt.pk, question.pk, shown, now=contest.starts_at + datetime.timedelta(minutes=1))
        submit(person, attempt.pk, uuid.uuid4(), now=contest.starts_at + datetime.timedelta(minutes=minutes))
    grade_submitted()  # as the worker would within a second


def load_demo_assessment(units, users) -> list[QuizPage]:
    editor, reviewer = users["editor"], users["reviewer"]
    bank = [_question(editor, reviewer, *spec) for spec in QUESTIONS]
    root = ensure_quiz_root()
    now = timezone.now()
    members = [MemberStatus.PROBATIONARY, MemberStatus.FULL]
    course = CoursePage.objects.filter(slug="party-constitution").first()
    charter_quiz = _quiz(
        root,
        QuizPage(
            title="党章知识测验",
            slug="party-constitution-quiz",
            kind=QuizKind.QUIZ,
            required=True,
            intro="学完“学习贯彻党章”课程后参加。限时 10 分钟，60 分及格，可作答 3 次；通过后课程才算学完。",
            time_limit_minutes=10,
            attempt_limit=3,
            pass_mark=60,
            multiple_choice_rule=MultipleChoiceRule.PARTIAL,
            audience_statuses=members,
            course=course,
            closes_at=now + datetime.timedelta(days=30),
        ),
        editor,
        reviewer,
        questions=[q for q in bank if q.knowledge_points.filter(parent__name="党章").exists()],
    )
    practice = _quiz(
        root,
        QuizPage(
            title="党的纪律练习",
            slug="discipline-practice",
            kind=QuizKind.PRACTICE,
            intro="随机抽取党的纪律相关题目，不限时、不限次数，交卷后可查看解析。",
            audience_statuses=members,
        ),
        editor,
        reviewer,
        rules=[(_point("党的纪律"), None, 3)],
    )
    contest = _quiz(
        root,
        QuizPage(
            title="“学党史”知识竞赛",
            slug="party-history-contest",
            kind=QuizKind.CONTEST,
            intro="全体党员统一时间参赛，限时 15 分钟，按得分和用时排名。",
            starts_at=now + datetime.timedelta(days=7),
            time_limit_minutes=15,
            pass_mark=60,
            audience_statuses=members,
            ranking_members=True,
            allow_review=False,
        ),
        editor,
        reviewer,
        rules=[(_point("党史"), None, 3), (_point("党章"), None, 2)],
    )
    history = [q for q in bank if q.knowledge_points.filter(parent__name="党史").exists()]
    ended_contest = _quiz(
        root,
        QuizPage(
            title="“党的创建”知识竞赛",
            slug="party-founding-contest",
            kind=QuizKind.CONTEST,
            intro="已结束的知识竞赛：党员学习区公布了排名，也可以在公开网站发布“竞赛成绩公布”。",
            starts_at=now - datetime.timedelta(days=10),
            time_limit_minutes=10,
            pass_mark=60,
            audience_statuses=members,
            ranking_members=True,
            ranking_public=True,
            allow_review=False,
        ),
        editor,
        reviewer,
        questions=history,
    )
    _sit_contest(ended_contest, users)
    return [charter_quiz, practice, contest, ended_contest]
