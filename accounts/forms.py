"""Account forms: the password reset that sends its mail through the worker, and the staff
account form of the user pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, _unicode_ci_compare
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.template import loader
from django.utils.translation import gettext_lazy as _

from accounts import mail
from accounts.models import User
from accounts.policy import grantable_roles, manages_all_accounts
from accounts.services import user_check
from core.models import Region
from core.net import client_ip
from programs.models import Agency


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form (same tokens, same "no such e-mail" silence), mail sent by Celery.

    If Redis cannot take the message the reset would be lost, so the mail is sent from the
    request instead: a person waiting for a reset link must get it."""

    def save(self, *args, request=None, **kwargs):
        """At most PASSWORD_RESETS_PER_ADDRESS_HOUR requests from one address an hour; past it the
        page answers the same and nothing is sent."""
        if request is not None and not _within(f"pwreset:ip:{client_ip(request)}",
                                               settings.PASSWORD_RESETS_PER_ADDRESS_HOUR):
            return
        super().save(*args, request=request, **kwargs)

    def get_users(self, email):
        """Also invited users who have not set a password yet (their invitation expired)."""
        users = User._default_manager.filter(email__iexact=email, is_active=True)
        return (u for u in users if _unicode_ci_compare(email, u.email))

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        if not _within(f"pwreset:user:{context['user'].pk}", settings.PASSWORD_RESETS_PER_USER_HOUR):
            return  # this account's mailbox already got its resets for the hour
        # Every link the product mails starts with SITE_URL, the address people reach the site at
        # (not the Host header of the request that asked).
        context = {**context, "site_url": settings.SITE_URL.rstrip("/")}
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        mail.queue(to=[to_email], subject=subject, body=body)


def _within(key: str, limit: int) -> bool:
    """Count one more under ``key`` for the hour; whether that is still within ``limit``. With
    the cache down the request is let through: a person waiting for a reset link must get it."""
    if cache.add(key, 1, timeout=3600):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr, or the cache is away
        return True


class EmailChangeForm(forms.Form):
    new_email = forms.EmailField(label=_("E-mail baru"), max_length=254)
    password = forms.CharField(label=_("Kata sandi Anda sekarang"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class SignatureForm(forms.ModelForm):
    """The signature block of the reports one signs: name, NIP, position, place."""

    # Typed with spaces as printed on a card ("1980 0101 2005 0110 02"); stored as 18 digits.
    nip = forms.CharField(label=User._meta.get_field("nip").verbose_name, max_length=30, required=False,
                          help_text=User._meta.get_field("nip").help_text)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "nip", "position", "signing_place"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["nip"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean_nip(self):
        return "".join(self.cleaned_data["nip"].split())


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Kode"), max_length=16, widget=forms.TextInput(attrs={
        "autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("6 angka dari aplikasi autentikator Anda, atau satu kode pemulihan."))

    def clean_code(self):
        return "".join(self.cleaned_data["code"].split())


class StaffUserForm(forms.ModelForm):
    """An account's identity and scope, with choices limited to what the actor may grant
    (``accounts.policy.grantable_roles``); a forged id outside them is an invalid choice."""

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "email", "role", "province", "agency", "regency",
                  "district_office"]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        grantable = grantable_roles(actor)
        self.fields["role"].choices = [(v, label) for v, label in User.Role.choices if v in grantable]
        self.fields["role"].required = True
        if self.instance.pk:
            # The address is where password resets go: only its owner changes it, with a
            # confirmation to both addresses (``accounts.services.email_change_request``).
            del self.fields["email"]
        else:
            self.fields["email"].required = True
        agencies = Agency.objects.filter(level=Agency.Level.PROVINCE).select_related("province")
        regencies = Region.objects.regencies().select_related("parent")
        if manages_all_accounts(actor):
            self.fields["province"].queryset = Region.objects.provinces()
        else:
            del self.fields["province"]
            agencies = agencies.filter(province_id=actor.province_id)
            regencies = regencies.filter(parent_id=actor.province_id)
        self.fields["agency"].queryset = agencies.order_by("province__code", "short_name")
        self.fields["regency"].queryset = regencies.order_by("code")
        self.fields["regency"].label_from_instance = lambda r: f"{r.code} {r.name}"
        self.fields["regency"].help_text = _("Untuk petugas kabupaten/kota.")
        if "province" in self.fields:
            self.fields["province"].help_text = _("Untuk koordinator; pejabat OPD mengikuti provinsi OPD-nya.")

    def clean(self):
        data = super().clean()
        if not manages_all_accounts(self.actor):
            self.instance.province = self.actor.province
        if data.get("role") == User.Role.PROVINCIAL_OFFICER and data.get("agency") and "province" in self.fields:
            self.instance.province = data["agency"].province
            data["province"] = data["agency"].province
        return data

    def _post_clean(self):
        super()._post_clean()
        try:
            user_check(user=self.instance, actor=self.actor)
        except ValidationError as exc:
            self.add_error(None, exc)
        except PermissionDenied:
            self.add_error(None, _("Anda tidak berwenang mengubah akun ini."))
