"""Admin pages: 批量导入人员 (upload a roster, see the check report, then 确认导入) and 党员档案
(list, view, edit and change the status of member records within one's scope)."""

import base64

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import selectors, services
from .models import BranchRole, MemberStatus, OrganisationUnit

SESSION_KEY = "accounts_people_import"
MAX_BYTES = 5 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label="人员名单文件",
        help_text="CSV 或 Excel（.xlsx），第一行为表头：姓名、工号（或手机号）、支部、身份、入党时间（选填）、角色（选填）。",
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > MAX_BYTES:
            raise forms.ValidationError("文件不能超过 5 MB，请分批导入。")
        return file


class PeopleImportView(WagtailAdminTemplateMixin, TemplateView):
    """GET: the upload form. POST with a file: a dry run whose report is shown; the file is
    kept in the session so POST with ``confirm`` imports exactly what was checked."""

    template_name = "accounts/people_import.html"
    page_title = "批量导入人员"
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("accounts.import_people"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        # Without its own crumb the header shows only the first one, 首页, as the page title.
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=UploadForm()))

    def post(self, request, *args, **kwargs):
        if "confirm" in request.POST:
            stored = request.session.pop(SESSION_KEY, None)
            if not stored:
                messages.error(request, "没有待导入的文件，请重新上传。")
                return redirect("accounts_people_import")
            report = services.import_people(base64.b64decode(stored["data"]), dry_run=False, by=request.user)
            if report.ok:
                messages.success(request, report.summary())
                return redirect("accounts_people_import")
            return self.render_to_response(self.get_context_data(form=UploadForm(), report=report))
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        data = upload.read()
        report = services.import_people(_Named(data, upload.name), dry_run=True, by=request.user)
        if report.ok:
            request.session[SESSION_KEY] = {"data": base64.b64encode(data).decode(), "name": upload.name}
        else:
            request.session.pop(SESSION_KEY, None)
        return self.render_to_response(self.get_context_data(form=UploadForm(), report=report, file_name=upload.name))


class _Named:
    def __init__(self, data: bytes, name: str):
        self.data, self.name = data, name

    def read(self, size=-1):
        return self.data if size < 0 else self.data[:size]


# ----------------------------------------------------------------------------- 党员档案 (membership)
# 管理员 see every record; a 支部书记 sees and manages the people of their own unit and below.
# Every read starts from ``selectors.memberships_visible_to(scope)``, so a record outside the
# scope is a 404, never a page.


class MemberFilterForm(forms.Form):
    q = forms.CharField(label="姓名或工号", required=False, max_length=50)
    unit = forms.ModelChoiceField(label="组织", queryset=None, required=False, empty_label="全部组织")
    status = forms.ChoiceField(label="身份", choices=[("", "全部身份"), *MemberStatus.choices], required=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.units_visible_to(scope)


class MemberEditForm(forms.Form):
    organisation = forms.ModelChoiceField(label="所在支部", queryset=None, required=False, empty_label="（未编入支部）")
    role = forms.ChoiceField(label="支部职务", choices=BranchRole.choices)
    joined_party_on = forms.DateField(
        label="入党时间",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="成为预备党员的日期；入党申请人、积极分子和发展对象不填。",
    )

    def __init__(self, *args, membership, scope, **kwargs):
        self.membership, self.scope = membership, scope
        super().__init__(*args, **kwargs)
        branches = selectors.units_visible_to(scope).filter(kind=OrganisationUnit.Kind.BRANCH)
        current = membership.user.organisation_id
        self.fields["organisation"].queryset = OrganisationUnit.objects.filter(
            Q(pk__in=branches.values("pk")) | Q(pk=current)
        )
        if not scope.everything:
            # A secretary cannot drop someone from every branch (they would leave the scope).
            self.fields["organisation"].required = True
            self.fields["organisation"].empty_label = None

    def clean_role(self):
        role = self.cleaned_data["role"]
        was_secretary = self.membership.role == BranchRole.SECRETARY
        # A secretary gets admin access to a whole unit: only 管理员 appoint or relieve one.
        if not self.scope.everything and (role == BranchRole.SECRETARY) != was_secretary:
            raise forms.ValidationError("只有管理员可以任免支部书记。")
        return role


class ChangeStatusForm(forms.Form):
    to_status = forms.ChoiceField(label="变更为", choices=MemberStatus.choices, widget=forms.RadioSelect)
    changed_on = forms.DateField(
        label="变更日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="支部大会讨论通过或组织关系转出的日期。",
    )
    note = forms.CharField(label="备注", required=False, max_length=200)

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        # The radio buttons offer the allowed steps only, but any known status is accepted and
        # handed to ``change_status``: it is the one keeper of the rules, and a stale form (the
        # person moved on meanwhile) then gets its reason instead of a generic "invalid choice".
        self.fields["to_status"].widget.choices = [
            (status, MemberStatus(status).label) for status in services.allowed_next_statuses(membership.status)
        ]
        self.fields["changed_on"].initial = timezone.localdate()


class _MemberAccess:
    action = "view"

    def dispatch(self, request, *args, **kwargs):
        self.scope = selectors.scope_of(request.user)
        if not selectors.can_manage_members(request.user, self.action, self.scope):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_membership(self):
        return get_object_or_404(selectors.memberships_visible_to(self.scope), pk=self.kwargs["pk"])


class _MemberPage(_MemberAccess, WagtailAdminTemplateMixin, TemplateView):
    header_icon = "user"
    membership = None

    def get_breadcrumbs_items(self):
        items = [*self.breadcrumbs_items, {"url": reverse("accounts_members"), "label": "党员档案"}]
        if self.membership is not None:
            items.append(
                {
                    "url": reverse("accounts_member", args=[self.membership.pk]),
                    "label": self.membership.user.display_name,
                }
            )
        if items[-1]["label"] == self.get_page_title():
            items[-1] = {"url": "", "label": items[-1]["label"]}
        else:
            items.append({"url": "", "label": self.get_page_title()})
        return items


class MemberListView(_MemberPage):
    template_name = "accounts/members/list.html"
    page_title = "党员档案"
    per_page = 50

    def get_context_data(self, **kwargs):
        form = MemberFilterForm(self.request.GET or None, scope=self.scope)
        records = selectors.memberships_visible_to(self.scope)
        if form.is_valid():
            records = selectors.search_memberships(
                records, text=form.cleaned_data["q"], unit=form.cleaned_data["unit"], status=form.cleaned_data["status"]
            )
        elif form.is_bound:
            records = records.none()  # a unit outside the scope is refused, never widened
        else:
            records = selectors.search_memberships(records)
        page = Paginator(records, self.per_page).get_page(self.request.GET.get("p"))
        query = self.request.GET.copy()
        query.pop("p", None)
        return super().get_context_data(
            form=form,
            page=page,
            query=query.urlencode(),
            scope=self.scope.label,
            can_change=self.request.user.has_perm("accounts.change_membership"),
            **kwargs,
        )


class MemberDetailView(_MemberPage):
    template_name = "accounts/members/detail.html"

    def get(self, request, *args, **kwargs):
        self.membership = self.get_membership()
        return super().get(request, *args, **kwargs)

    def get_page_title(self):
        return self.membership.user.display_name

    def get_context_data(self, **kwargs):
        user = self.membership.user
        return super().get_context_data(
            membership=self.membership,
            person=user,
            unit_path=selectors.branch_path_display(user.organisation) if user.organisation else "",
            history=selectors.status_history(self.membership),
            can_change=self.request.user.has_perm("accounts.change_membership"),
            next_statuses=services.allowed_next_statuses(self.membership.status),
            **kwargs,
        )


class _MemberFormView(_MemberPage):
    """GET: the form; POST: the service call, whose Chinese refusals become form errors."""

    action = "change"

    def get(self, request, *args, **kwargs):
        self.membership = self.get_membership()
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        self.membership = self.get_membership()
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                self.save(form)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("accounts_member", self.membership.pk)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        return super().get_context_data(membership=self.membership, person=self.membership.user, **kwargs)


class MemberEditView(_MemberFormView):
    template_name = "accounts/members/edit.html"
    page_title = "编辑档案"

    def get_form(self, data=None):
        membership = self.membership
        return MemberEditForm(
            data,
            membership=membership,
            scope=self.scope,
            initial={
                "organisation": membership.user.organisation_id,
                "role": membership.role,
                "joined_party_on": membership.joined_party_on,
            },
        )

    def save(self, form):
        services.update_record(
            self.membership,
            role=form.cleaned_data["role"],
            joined_party_on=form.cleaned_data["joined_party_on"],
            organisation=form.cleaned_data["organisation"],
        )
        messages.success(self.request, f"已保存{self.membership.user.display_name}的档案。")


class MemberStatusView(_MemberFormView):
    template_name = "accounts/members/change_status.html"
    page_title = "变更身份"

    def get_form(self, data=None):
        return ChangeStatusForm(data, membership=self.membership)

    def get_context_data(self, **kwargs):
        return super().get_context_data(next_statuses=services.allowed_next_statuses(self.membership.status), **kwargs)

    def save(self, form):
        change = services.change_status(
            self.membership,
            form.cleaned_data["to_status"],
            on=form.cleaned_data["changed_on"],
            by=self.request.user,
            note=form.cleaned_data["note"],
        )
        messages.success(
            self.request, f"{self.membership.user.display_name}的身份已变更为「{change.get_to_status_display()}」。"
        )


class AdministratorsOnly:
    """For an admin view only 管理员 may open; Wagtail turns the PermissionDenied into its
    "no permission" redirect to the dashboard."""

    def dispatch(self, request, *args, **kwargs):
        if not selectors.is_administrator(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# ----------------------------------------------------------------------------- 登录锁定
# 管理员 see the accounts and addresses the log-in policy has locked (cms/accounts/lockout.py)
# and lift a lock at once, e.g. for a member who has called the Party office.


class LockoutListView(AdministratorsOnly, WagtailAdminTemplateMixin, TemplateView):
    template_name = "accounts/lockouts.html"
    page_title = "登录锁定"
    header_icon = "lock"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        from django.conf import settings

        from . import lockout

        return super().get_context_data(
            locks=lockout.current_locks(),
            account_limit=settings.LOGIN_FAILURE_LIMIT,
            address_limit=settings.LOGIN_ADDRESS_FAILURE_LIMIT,
            minutes=settings.LOGIN_LOCKOUT_MINUTES,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        from . import lockout

        kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
        if kind not in ("username", "ip_address") or not value:
            messages.error(request, "请选择要解锁的账号或地址。")
        else:
            lockout.unlock(kind, value)  # recorded in the audit log (lockout.unlocked)
            messages.success(request, f"已解锁{'账号' if kind == 'username' else '地址'} {value}。")
        return redirect("accounts_lockouts")
