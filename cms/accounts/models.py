from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


class OrganisationUnit(models.Model):
    """A node of the Party organisation tree: 党委 → 党总支 → 党支部 (any depth)."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", "党委"
        GENERAL_BRANCH = "general_branch", "党总支"
        BRANCH = "branch", "党支部"

    name = models.CharField("名称", max_length=100, unique=True)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices, default=Kind.BRANCH)
    parent = models.ForeignKey(
        "self", verbose_name="上级组织", null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def ancestors(self):
        node, seen = self.parent, []
        while node is not None:
            seen.append(node)
            node = node.parent
        return seen

    def clean(self):
        if self.pk and any(a.pk == self.pk for a in self.ancestors()):
            raise ValidationError({"parent": "上级组织不能是自身或自身的下级组织。"})


class User(AbstractUser):
    """The project's user from the very first migration, so member data can grow here."""

    organisation = models.ForeignKey(
        OrganisationUnit, verbose_name="所在组织", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="people",
    )

    class Meta(AbstractUser.Meta):
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def get_full_name(self) -> str:
        # Chinese names are written family name first, without a space.
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username
