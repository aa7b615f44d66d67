from django.contrib.auth import views as auth_views
from django.urls import path

app_name = "accounts"

urlpatterns = [
    path("masuk/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("sandi/", auth_views.PasswordChangeView.as_view(success_url="/akun/sandi/selesai/"), name="password-change"),
    path("sandi/selesai/", auth_views.PasswordChangeDoneView.as_view(), name="password-change-done"),
]
