"""Factories for the question bank and quizzes. Questions are made live through a published
revision, like an editor's 审核发布 does; ``publish=False`` leaves a never-published draft."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from cms.assessment.answers import QuestionType
from cms.assessment.models import ContestResultPage, KnowledgePoint, Question, QuizPage, QuizQuestion, QuizRule
from tests.factories import PageFactory


class KnowledgePointFactory(DjangoModelFactory):
    class Meta:
        model = KnowledgePoint

    name = factory.Sequence(lambda n: f"知识点{n}")


class QuestionFactory(DjangoModelFactory):
    """A live single-choice question by default; pass ``knowledge_points=[...]``."""

    class Meta:
        model = Question

    type = QuestionType.SINGLE
    stem = factory.Sequence(lambda n: f"题干{n}：中国共产党成立于哪一年？")
    option_a = "1919年"
    option_b = "1921年"
    option_c = "1927年"
    option_d = "1949年"
    answer = "B"
    explanation = "解析：1921年7月，中国共产党第一次全国代表大会召开。"
    difficulty = 2

    @classmethod
    def _create(cls, model_class, knowledge_points=(), publish=True, **kwargs):
        if kwargs.get("type") in (QuestionType.TRUE_FALSE, QuestionType.FILL_BLANK):
            for letter in "abcdef":  # these types have no options
                kwargs[f"option_{letter}"] = ""
        question = model_class(live=False, **kwargs)
        question.full_clean(exclude=["knowledge_points"])
        question.save()
        if knowledge_points:
            question.knowledge_points.set(list(knowledge_points))
        revision = question.save_revision()
        if publish:
            revision.publish(skip_permission_checks=True)
            question.refresh_from_db()
        return question


class QuizFactory(PageFactory):
    """A live quiz under 测评中心: ``questions=[...]`` (fixed list, in order) or
    ``rules=[(point, difficulty|None, count)]``; ``audience_units=[...]``."""

    class Meta:
        model = QuizPage

    title = factory.Sequence(lambda n: f"测验{n}")
    slug = factory.Sequence(lambda n: f"quiz-{n}")
    intro = "测验说明"
    pass_mark = 60

    @classmethod
    def _create(cls, model_class, parent=None, audience_units=(), questions=(), rules=(), publish=True, **kwargs):
        from cms.assessment.services import ensure_quiz_root

        page = model_class(live=False, **kwargs)
        (parent or ensure_quiz_root()).add_child(instance=page)
        if audience_units:
            page.audience_units.set(list(audience_units))
        page.fixed_questions = [QuizQuestion(question=q, sort_order=i) for i, q in enumerate(questions)]
        page.rules = [
            QuizRule(knowledge_point=point, difficulty=difficulty, count=count, sort_order=i)
            for i, (point, difficulty, count) in enumerate(rules)
        ]
        page.save()
        revision = page.save_revision()
        if publish:
            revision.publish(skip_permission_checks=True)
            page.refresh_from_db()
        return page


class ContestResultPageFactory(PageFactory):
    """A 竞赛成绩公布 page on the public site: pass ``parent=section`` and ``contest=``."""

    class Meta:
        model = ContestResultPage

    title = factory.Sequence(lambda n: f"竞赛成绩公布{n}")
    slug = factory.Sequence(lambda n: f"contest-result-{n}")
    summary = "竞赛成绩"
