from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views
from accounts.forms import QueuedPasswordResetForm

app_name = "accounts"

urlpatterns = [
    path("kotak-masuk/", views.inbox, name="inbox"),
    path("kotak-masuk/<int:pk>/", views.notification_open, name="notification-open"),
    path("kotak-masuk/baca-semua/", views.inbox_read_all, name="inbox-read-all"),
    path("kotak-masuk/e-mail/", views.email_preference, name="email-preference"),
    path("pengguna/", views.user_list, name="user-list"),
    path("pengguna/undang/", views.user_invite, name="user-invite"),
    path("pengguna/<int:pk>/", views.user_detail, name="user-detail"),
    path("pengguna/<int:pk>/aktif/", views.user_activation, name="user-activation"),
    path("pengguna/<int:pk>/faktor-kedua/reset/", views.user_second_factor_reset, name="user-second-factor-reset"),
    path("pengguna/<int:pk>/buka-kunci/", views.user_unlock, name="user-unlock"),
    path("saya/", views.my_account, name="my-account"),
    path("e-mail/konfirmasi/<str:token>/", views.email_confirm, name="email-confirm"),
    path("dua-langkah/", views.second_factor_verify, name="second-factor"),
    path("dua-langkah/daftar/", views.second_factor_setup, name="second-factor-setup"),
    path("dua-langkah/kode-pemulihan/", views.recovery_codes, name="recovery-codes"),
    path("masuk/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("keluar/", views.LogoutView.as_view(), name="logout"),
    path("sandi/", views.PasswordChangeView.as_view(), name="password-change"),
    path("sandi/selesai/", auth_views.PasswordChangeDoneView.as_view(), name="password-change-done"),
    # Forgotten password: a one-time link by e-mail (Django's signed tokens, PASSWORD_RESET_HOURS).
    path("sandi/lupa/", auth_views.PasswordResetView.as_view(
        form_class=QueuedPasswordResetForm, success_url=reverse_lazy("accounts:password-reset-sent"),
        email_template_name="registration/password_reset_email.txt",
        subject_template_name="registration/password_reset_subject.txt",
        extra_email_context={"hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
    ), name="password-reset"),
    path("sandi/lupa/terkirim/", auth_views.PasswordResetDoneView.as_view(), name="password-reset-sent"),
    path("sandi/atur/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password-reset-confirm"),
    path("sandi/atur/selesai/", auth_views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
]
