"""The one place that reads, writes and compares answers (the admin form, the spreadsheet
import and grading all use it), so "正确", "AC" and "答案一|答案1；答案二" mean the same
everywhere.

Notation (the layout Chinese question banks use, also what editors type in the admin):

* single / multiple choice: the option letters, e.g. ``B`` or ``ACD`` (commas and spaces are
  ignored); stored sorted, e.g. ``ACD``;
* true/false: ``正确`` or ``错误`` (also 对/错, √/×, T/F, 是/否, Y/N on input);
* fill in the blank: one entry per blank separated by ``；`` or ``;``, alternatives accepted
  for one blank separated by ``|`` — e.g. ``1921|一九二一；上海`` is two blanks; stored with
  ``;`` and ``|``.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

OPTION_LETTERS = "ABCDEF"
TRUE_FALSE_KEYS = ["A", "B"]  # A 正确, B 错误: what members see and send
TRUE_WORDS = {"正确", "对", "√", "✓", "T", "TRUE", "是", "Y", "YES"}
FALSE_WORDS = {"错误", "错", "×", "✗", "X", "F", "FALSE", "否", "N", "NO"}
MAX_BLANK_LENGTH = 200
MAX_BLANKS = 10


class QuestionType:
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    FILL_BLANK = "fill_blank"
    CHOICES = [(SINGLE, "单选题"), (MULTIPLE, "多选题"), (TRUE_FALSE, "判断题"), (FILL_BLANK, "填空题")]
    LABELS = dict(CHOICES)


def normalise_text(value: str) -> str:
    """For comparing fill-in answers: NFKC (full-width letters, digits and punctuation become
    half-width), every whitespace removed (Chinese answers carry no meaningful spaces, and
    "中国 共产党" must equal "中国共产党"), case-folded."""
    return "".join(unicodedata.normalize("NFKC", value).split()).casefold()


def parse_answer(kind: str, text: str, option_letters: str) -> str:
    """Validate an answer written in the notation above; return its stored form. Raises
    ValidationError with a Chinese message (shown per row by the import and per field by
    the admin)."""
    raw = unicodedata.normalize("NFKC", str(text or "")).strip()
    if not raw:
        raise ValidationError("答案不能为空。")
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        letters = re.sub(r"[\s,，、;；]", "", raw).upper()
        if not letters or any(letter not in OPTION_LETTERS for letter in letters):
            raise ValidationError(f"答案“{raw}”应为选项字母（A–F）。")
        if len(set(letters)) != len(letters):
            raise ValidationError(f"答案“{raw}”中有重复的选项。")
        missing = [letter for letter in letters if letter not in option_letters]
        if missing:
            raise ValidationError(f"答案中的选项 {''.join(missing)} 没有内容。")
        if kind == QuestionType.SINGLE and len(letters) != 1:
            raise ValidationError("单选题的答案只能有一个选项。")
        if kind == QuestionType.MULTIPLE and len(letters) < 2:
            raise ValidationError("多选题的答案至少应有两个选项。")
        return "".join(sorted(letters))
    if kind == QuestionType.TRUE_FALSE:
        word = raw.upper()
        if word in TRUE_WORDS:
            return "正确"
        if word in FALSE_WORDS:
            return "错误"
        raise ValidationError(f"判断题的答案应为“正确”或“错误”，不能是“{raw}”。")
    if kind == QuestionType.FILL_BLANK:
        blanks = []
        for part in re.split(r"[;；]", str(text).strip()):
            accepted = [alternative.strip() for alternative in part.split("|") if alternative.strip()]
            if not accepted:
                raise ValidationError("填空题的每个空都须有答案（多个空用“；”分隔，同一空的多个答案用“|”分隔）。")
            if any(len(alternative) > MAX_BLANK_LENGTH for alternative in accepted):
                raise ValidationError(f"填空题每个答案不能超过 {MAX_BLANK_LENGTH} 字。")
            blanks.append("|".join(accepted))
        if len(blanks) > MAX_BLANKS:
            raise ValidationError(f"填空题最多 {MAX_BLANKS} 个空。")
        return ";".join(blanks)
    raise ValidationError("未知的题型。")


def accepted_blanks(stored: str) -> list[list[str]]:
    return [part.split("|") for part in stored.split(";")]


def correct_letters(kind: str, stored: str) -> list[str]:
    """The original option letters that are right (true/false: A 正确, B 错误)."""
    if kind == QuestionType.TRUE_FALSE:
        return ["A"] if stored == "正确" else ["B"]
    return list(stored)


def credit(kind: str, stored: str, given: list | None, *, partial: bool) -> float:
    """0..1 for one answer (``given`` in original letters, or blanks' strings)."""
    if not given:
        return 0.0
    if kind == QuestionType.FILL_BLANK:
        blanks = accepted_blanks(stored)
        if len(given) != len(blanks):
            return 0.0
        right = all(
            normalise_text(value) in {normalise_text(a) for a in accepted} for value, accepted in zip(given, blanks)
        )
        return 1.0 if right else 0.0
    correct = set(correct_letters(kind, stored))
    chosen = set(given)
    if chosen == correct:
        return 1.0
    if kind == QuestionType.MULTIPLE and partial and chosen and chosen <= correct:
        return len(chosen) / len(correct)
    return 0.0
