"""The data-protection officer's page: for any staff account of the province and a period, every
person whose full NIK it was shown (from the access log) and how many its scope could show."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts.models import User
from core.params import lenient, parse_id
from core.spreadsheets import safe_cell
from recipients import access, policy, selectors
from recipients.models import Member, PersonalDataView, RecipientGroup, RetentionRun

PERIOD_DAYS = 30


class AccessLogForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Akun petugas"), queryset=User.objects.none())
    start = forms.DateField(label=_("Dari tanggal"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Sampai tanggal"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        self.fields["account"].label_from_instance = lambda u: f"{u.username} · {u.scope_label}"

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError(_("Tanggal awal harus sebelum tanggal akhir."))
        return data


def _watched(user, rows):
    """``rows`` (with a ``province_id``) the user watches over: their province's for the
    data-protection officer, all for the national admin, none otherwise."""
    if getattr(user, "is_data_protection_officer", False):
        return rows.filter(province_id=user.province_id)
    return rows if getattr(user, "is_national_admin", False) else rows.none()


def _require_officer(user) -> None:
    if not policy.reads_access_log(user):
        raise PermissionDenied


def accounts_watched_by(user):
    """The staff accounts whose access the user reads."""
    return _watched(user, User.objects.exclude(role="").select_related("province", "regency", "agency")
                    .order_by("username"))


@login_required
@require_safe
def access_log(request):
    _require_officer(request.user)
    today = timezone.localdate()
    params = request.GET if "account" in request.GET else None
    form = AccessLogForm(params, accounts=accounts_watched_by(request.user),
                         initial={"start": today - dt.timedelta(days=PERIOD_DAYS), "end": today})
    context = {"form": form, "retention_runs": RetentionRun.objects.select_related("actor")[:10],
               "retention_years": settings.RETENTION_YEARS, "grace_days": settings.RETENTION_GRACE_DAYS}
    if form.is_valid():
        account, tz = form.cleaned_data["account"], timezone.get_current_timezone()
        start = dt.datetime.combine(form.cleaned_data["start"], dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(form.cleaned_data["end"] + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        persons = access.persons_seen(account, start, end)
        for person in persons:
            person["nik"] = policy.mask_nik(person["nik"])  # enough to tell the person; never shown in full here
        could = access.groups_could_see(account).aggregate(groups=Count("id"), members=Sum("members_count"))
        context.update({"account": account, "persons": persons, "could": could,
                        "views": access.views_of(account, start, end).count()})
    return render(request, "recipients/access_log.html", context)


# --- A person's request for their data ------------------------------------------------------------

NIK_FORMAT = re.compile(r"[0-9]{16}", re.ASCII)


class DataRequestForm(forms.Form):
    nik = forms.CharField(label=_("NIK pemohon"), max_length=16, min_length=16, help_text=_(
        "16 angka, dari KTP orang yang meminta datanya. Laporan mencakup kelompok di wilayah Anda."))

    def clean_nik(self):
        nik = self.cleaned_data["nik"].strip()
        if not NIK_FORMAT.fullmatch(nik):
            raise forms.ValidationError(_("NIK terdiri dari 16 angka 0–9."))
        return nik


def groups_watched_by(user):
    return _watched(user, RecipientGroup.objects.select_related("regency"))


@login_required
@require_safe
def data_request(request):
    """What the system holds about one person, found by their NIK, for the officer to send them
    (UU 27/2022): every group where they are leader or member, what it applied for and how far it
    got, the history of their entries, who was shown their full NIK and when. The lookup itself
    is a row in the access log."""
    _require_officer(request.user)
    form = DataRequestForm(request.GET if "nik" in request.GET else None)
    context = {"form": form}
    if form.is_valid():
        nik = form.cleaned_data["nik"]
        groups = list(groups_watched_by(request.user).filter(Q(leader_nik=nik) | Q(members__nik=nik)).distinct()
                      .prefetch_related("members", "applications__program__agency", "applications__steps"))
        entries = []
        for group in groups:
            mine = [m for m in group.members.all() if m.nik == nik]
            views = PersonalDataView.objects.filter(group_ids__contains=[group.pk]).select_related(
                "viewer__province", "viewer__regency", "viewer__agency")
            entries.append({
                "group": group, "is_leader": group.leader_nik == nik, "memberships": mine,
                "applications": list(group.applications.all()),
                "views": [{"when": v.created_at, "who": v.viewer.scope_label, "where": v.get_where_display()}
                          for v in views.order_by("created_at")[:200]],
                "history": RecipientGroup.pgh_event_model.objects.filter(pgh_obj_id=group.pk).count()
                + Member.pgh_event_model.objects.filter(group_id=group.pk, nik=nik).count(),
            })
        access.record(viewer=request.user, where=PersonalDataView.Where.DATA_REQUEST,
                      group_ids=[g.pk for g in groups], members=False, path=request.path)
        context.update({"nik": nik, "entries": entries, "generated": timezone.now()})
    return render(request, "recipients/data_request.html", context)


class _Echo:
    def write(self, value):
        return value


def _could_see_rows(account):
    """One row per person in the groups ``account``'s scope shows today (leaders and members):
    whether the full NIK is shown to it, or the NIK masked and the name only. Streams over a
    server-side cursor: a province's hundreds of thousands of people in flat memory."""
    groups = selectors.groups_visible_to(account).filter(person_data_erased_at__isnull=True)
    for group in groups.order_by("regency_id", "name", "id").iterator(chunk_size=2000):
        full = policy.may_see_nik(account, group)
        if group.leader_name:
            yield [group.leader_name, "ketua", group.name, group.regency.name, "ya" if full else "tidak"]
    members = (Member.objects.filter(group__in=groups).exclude(nik="").select_related("group__regency")
               .order_by("group__regency_id", "group__name", "group_id", "id"))
    for member in members.iterator(chunk_size=5000):
        group = member.group
        if member.nik != group.leader_nik:
            full = policy.may_see_nik(account, group)
            yield [member.name, member.get_role_display(), group.name, group.regency.name, "ya" if full else "tidak"]


@login_required
@require_safe
def could_see(request):
    """Every person whose data an account's scope shows today, as a CSV for a breach notice."""
    _require_officer(request.user)
    account = accounts_watched_by(request.user).filter(pk=lenient(parse_id, request.GET.get("account"))).first()
    if account is None:
        raise Http404
    writer = csv.writer(_Echo())
    header = ["nama", "peran", "kelompok", "kabupaten_kota", "nik_lengkap_terlihat"]
    rows = itertools.chain([header], _could_see_rows(account))
    lines = (writer.writerow([safe_cell(v) for v in row]) for row in rows)
    response = StreamingHttpResponse(itertools.chain(["\ufeff"], lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="dapat-dilihat-{account.username}.csv"'
    return response
