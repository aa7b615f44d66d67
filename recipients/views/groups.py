"""Staff pages for recipient groups: the list, registration, the group page, its correction
(NIKs as the reader may see them), publication of its name and proposing it to a program.

Everything starts from ``recipients.selectors.*_visible_to(user)``: a group outside the
user's scope is a 404, whatever the URL."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import StaleEdit
from core.pagination import seek_page
from core.sorting import sort
from core.views_utils import apply_errors, refresh_version
from recipients import access, exports, policy, selectors, services
from recipients.filters import GroupFilter
from recipients.forms import GroupForm, ProposeForm
from recipients.models import PersonalDataView, State
from recipients.views import require_staff


@login_required
def group_list(request):
    require_staff(request.user)
    filterset = GroupFilter(request.GET, queryset=selectors.groups_visible_to(request.user), request=request)
    order = sort(request.GET, exports.GROUP_SORT, ("name", "id"))
    return render(request, "recipients/group_list.html", {
        "filter": filterset, "page": seek_page(request, filterset.qs, order.ordering), "sort": order})


@login_required
@require_http_methods(["GET", "POST"])
def group_create(request):
    if not policy.registers_groups(request.user):
        raise PermissionDenied
    form = GroupForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.group_data(regency_id=form.cleaned_data["regency"].pk, kind=form.cleaned_data["kind"])
        try:
            group = services.group_create(data=data, actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Kelompok “%(name)s” terdaftar.") % {"name": group.name})
            return redirect("recipients:group-detail", pk=group.pk)
    return render(request, "recipients/group_form.html", {"form": form})


@login_required
def group_detail(request, pk):
    require_staff(request.user)
    group = get_object_or_404(selectors.groups_visible_to(request.user), pk=pk)
    show_nik = policy.may_see_nik(request.user, group)
    members = [
        {"name": m.name, "role": m.get_role_display(), "nik": m.nik if show_nik else policy.mask_nik(m.nik)}
        for m in group.members.all()
    ]
    can_propose = policy.may_act_on(request.user, group, roles=("district",)) is not None
    if show_nik:
        access.record(viewer=request.user, where=PersonalDataView.Where.GROUP_PAGE, group_ids=[group.pk],
                      members=True, path=request.path)
    return render(request, "recipients/group_detail.html", {
        "group": group,
        "members": members,
        "leader_nik": group.leader_nik if show_nik else policy.mask_nik(group.leader_nik),
        "applications": group.applications.select_related("program__agency"),
        "propose_form": ProposeForm(user=request.user, group=group) if can_propose else None,
        "can_edit": policy.may_edit_group(request.user, group),
        "can_withhold": policy.may_withhold_name(request.user, group) and group.kind == group.Kind.IKM,
        "history": selectors.group_history(group, show_nik=show_nik),
    })


@login_required
@require_POST
def group_publication(request, pk):
    """The province withholds a group's name from the public list (with a reason), or publishes it."""
    group = get_object_or_404(selectors.groups_visible_to(request.user), pk=pk)
    if not policy.may_withhold_name(request.user, group):
        raise PermissionDenied
    reason = request.POST.get("reason", "")
    services.group_withhold_name(group=group, reason=reason, actor=request.user)
    messages.success(request, _("Nama kelompok tidak dipublikasikan; alasannya tampil di daftar publik.") if
                     reason.strip() else _("Nama kelompok dipublikasikan di daftar penerima."))
    return redirect("recipients:group-detail", pk=group.pk)


@login_required
@require_http_methods(["GET", "POST"])
def group_edit(request, pk):
    """Correct a group and its members (while no application is approved: its district office)."""
    group = get_object_or_404(selectors.groups_visible_to(request.user), pk=pk)
    if not policy.may_edit_group(request.user, group):
        raise PermissionDenied
    form = GroupForm(request.POST or None, instance=group, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.group_data(regency_id=group.regency_id, kind=group.kind)
        try:
            services.group_update(group=group, data=data, actor=request.user,
                                  expected_version=form.cleaned_data["version"])
        except ValidationError as exc:
            apply_errors(form, exc)
            if isinstance(exc, StaleEdit):
                group.refresh_from_db()
                refresh_version(form, group.version)
        else:
            returned = group.applications.filter(state=State.RETURNED).first()
            messages.success(request, _("Perubahan kelompok tersimpan.") + (
                " " + _("Usulkan lagi usulan yang dikembalikan dari halaman usulannya.") if returned else ""))
            return redirect("recipients:application-detail", pk=returned.pk) if returned else redirect(
                "recipients:group-detail", pk=group.pk)
    if not form.masked:
        access.record(viewer=request.user, where=PersonalDataView.Where.GROUP_FORM, group_ids=[group.pk],
                      members=True, path=request.path)
    return render(request, "recipients/group_form.html", {"form": form, "group": group})


@login_required
@require_POST
def group_propose(request, pk):
    group = get_object_or_404(selectors.groups_visible_to(request.user), pk=pk)
    form = ProposeForm(request.POST, user=request.user, group=group)
    if form.is_valid():
        try:
            application = services.application_propose(group=group, program=form.cleaned_data["program"],
                                                       actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Kelompok diusulkan ke %(program)s.") % {"program": application.program})
            return redirect("recipients:application-detail", pk=application.pk)
    else:
        messages.error(request, _("Pilih program yang tersedia."))
    return redirect("recipients:group-detail", pk=group.pk)
