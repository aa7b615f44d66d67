"""The inbox: what waits for me, opened one by one (each marked read when opened)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Notification, User
from core.views_utils import paginate


class EmailPreferenceForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["notification_email"]
        widgets = {"notification_email": forms.RadioSelect}
        labels = {"notification_email": gettext_lazy("Kirim notifikasi ke e-mail saya")}


@login_required
def inbox(request):
    """Newest first, unread marked. 3 queries (count, page, unread count in the navigation)."""
    form = EmailPreferenceForm(instance=request.user)
    return render(request, "accounts/inbox.html", {
        "page": paginate(request, request.user.notifications.all()), "form": form,
    })


@login_required
def notification_open(request, pk):
    notification = get_object_or_404(request.user.notifications, pk=pk)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    safe = url_has_allowed_host_and_scheme(notification.url, allowed_hosts={request.get_host()})
    return redirect(notification.url if safe else "accounts:inbox")


@login_required
@require_POST
def inbox_read_all(request):
    count = request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, _("%(n)s notifikasi ditandai sudah dibaca.") % {"n": count})
    return redirect("accounts:inbox")


@login_required
@require_POST
def email_preference(request):
    form = EmailPreferenceForm(request.POST, instance=request.user)
    if form.is_valid():
        User.objects.filter(pk=request.user.pk).update(notification_email=form.cleaned_data["notification_email"])
        messages.success(request, _("Pilihan notifikasi e-mail tersimpan."))
        return redirect("accounts:inbox")
    return render(request, "accounts/inbox.html", {
        "page": paginate(request, request.user.notifications.all()), "form": form,
    })
