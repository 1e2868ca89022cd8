from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


class OrganisationUnit(models.Model):
    """A node of the Party organisation tree: 党委 → 党总支 → 党支部 (any depth).

    An adjacency list (``parent``) is enough: trees here have a few hundred nodes at most and
    are read level by level (``selectors.descendants``). ``clean()`` keeps the tree sane:

    * no cycles: a unit cannot sit under itself or one of its own descendants;
    * a 党支部 is a leaf: it cannot be anyone's parent (nor become a 党支部 while it has
      children);
    * a 党委 is a root, or sits under another 党委 (e.g. a subsidiary's committee under the
      group committee) — never under a 党总支 or 党支部.

    Everything else (党总支 under a 党委 or another 党总支, 党支部 under either) is allowed.
    """

    class Kind(models.TextChoices):
        COMMITTEE = "committee", "党委"
        GENERAL_BRANCH = "general_branch", "党总支"
        BRANCH = "branch", "党支部"

    name = models.CharField("名称", max_length=100, unique=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.BRANCH)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def ancestors(self):
        """Parent, grandparent, … up to the top; stops at a repeat, so a cycle being
        validated (e.g. a unit set as its own parent) cannot loop forever."""
        node, found, seen_pks = self.parent, [], {self.pk} - {None}
        while node is not None and node not in found:
            found.append(node)
            if node.pk is not None and node.pk in seen_pks:
                break  # a cycle: the unit itself or a repeat is reached again
            seen_pks.add(node.pk)
            node = node.parent
        return found

    def clean(self):
        super().clean()
        if self.pk and any(a.pk == self.pk for a in self.ancestors()):
            raise ValidationError({"parent": "上级组织不能是自身或自身的下级组织。"})
        parent = self.parent
        if parent is not None and parent.kind == self.Kind.BRANCH:
            raise ValidationError({"parent": f"「{parent.name}」是党支部，党支部下不能再设下级组织。"})
        if self.kind == self.Kind.COMMITTEE and parent is not None and parent.kind != self.Kind.COMMITTEE:
            raise ValidationError({"parent": "党委只能作为最高一级组织，或隶属于另一个党委。"})
        if self.kind == self.Kind.BRANCH and self.pk and self.children.exists():
            raise ValidationError({"kind": "该组织还有下级组织，不能设为党支部。"})


class User(AbstractUser):
    """The project's user from the very first migration, so member data can grow here."""

    organisation = models.ForeignKey(
        OrganisationUnit,
        verbose_name="所在组织",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    # Set when somebody other than the person chose the password (import, an administrator
    # creating the account or resetting it, demo accounts in production): until the person
    # picks their own, cms/accounts/first_login.py lets them do nothing else.
    must_change_password = models.BooleanField("须修改初始密码", default=False)

    class Meta(AbstractUser.Meta):
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def get_full_name(self) -> str:
        # Chinese names are written family name first, without a space.
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class MemberStatus(models.TextChoices):
    """The development pipeline, in order; 已转出 can be reached from any step."""

    APPLICANT = "applicant", "入党申请人"
    ACTIVIST = "activist", "入党积极分子"
    CANDIDATE = "candidate", "发展对象"
    PROBATIONARY = "probationary", "预备党员"
    FULL = "full", "正式党员"
    TRANSFERRED_OUT = "transferred_out", "已转出"


#: The forward order of the pipeline (已转出 is not part of it: it is an exit).
STATUS_PIPELINE = [
    MemberStatus.APPLICANT,
    MemberStatus.ACTIVIST,
    MemberStatus.CANDIDATE,
    MemberStatus.PROBATIONARY,
    MemberStatus.FULL,
]


class BranchRole(models.TextChoices):
    SECRETARY = "secretary", "支部书记"
    ORGANISATION = "organisation", "组织委员"
    DISCIPLINE = "discipline", "纪检委员"
    MEMBER = "member", "党员"


class Membership(models.Model):
    """A person's Party record: one per user. The branch is ``User.organisation``; the status
    only changes through ``services.change_status`` (or an import), which writes history."""

    user = models.OneToOneField(User, verbose_name="用户", on_delete=models.CASCADE, related_name="membership")
    status = models.CharField("身份", max_length=20, choices=MemberStatus.choices, default=MemberStatus.APPLICANT)
    joined_party_on = models.DateField("入党时间", null=True, blank=True)
    role = models.CharField("支部职务", max_length=20, choices=BranchRole.choices, default=BranchRole.MEMBER)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "党员档案"
        verbose_name_plural = "党员档案"
        permissions = [("import_people", "可以批量导入人员")]

    def __str__(self):
        return f"{self.user.display_name}（{self.get_status_display()}）"


class StatusChange(models.Model):
    """One dated step of a member's status history (``from_status`` is empty for the first)."""

    membership = models.ForeignKey(
        Membership, verbose_name="党员档案", on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField("原身份", max_length=20, choices=MemberStatus.choices, blank=True)
    to_status = models.CharField("新身份", max_length=20, choices=MemberStatus.choices)
    changed_on = models.DateField("变更日期")
    note = models.CharField("备注", max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        User, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "身份变更记录"
        verbose_name_plural = "身份变更记录"
        ordering = ["changed_on", "recorded_at", "pk"]

    def __str__(self):
        return f"{self.changed_on}：{self.get_from_status_display() or '—'} → {self.get_to_status_display()}"


class PasswordHistory(models.Model):
    """Hashes of a person's recent passwords, so a new one cannot repeat them
    (cms/accounts/passwords.py). Only hashes, never the passwords."""

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="password_history")
    password_hash = models.CharField("密码哈希", max_length=128)
    created_at = models.DateTimeField("设置时间", auto_now_add=True)

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"
        ordering = ["-created_at", "-id"]
