"""The data-protection officer's page: for any staff account of the province and a period, every
person whose full NIK it was shown (from the access log) and how many its scope could show."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts.models import User
from recipients import access, policy

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


def accounts_watched_by(user):
    """The accounts whose access the user reads: their province's (the DPO), every one (the
    national admin), none otherwise."""
    accounts = User.objects.exclude(role="").select_related("province", "regency", "agency").order_by("username")
    if getattr(user, "is_data_protection_officer", False):
        return accounts.filter(province_id=user.province_id)
    if getattr(user, "is_national_admin", False):
        return accounts
    return accounts.none()


@login_required
@require_safe
def access_log(request):
    if not (request.user.is_data_protection_officer or request.user.is_national_admin):
        raise PermissionDenied
    today = timezone.localdate()
    params = request.GET if "account" in request.GET else None
    form = AccessLogForm(params, accounts=accounts_watched_by(request.user),
                         initial={"start": today - dt.timedelta(days=PERIOD_DAYS), "end": today})
    context = {"form": form}
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
