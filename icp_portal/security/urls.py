"""Sign-in, sign-out, the password change and the session time-out. There is no self-service
password reset: accounts are managed by administrators (docs/security.md), and a reset would be
an anonymous, unthrottled door that sends mail inside the request."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("accounts/login/", views.PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/certificate/", views.certificate_sign_in, name="certificate_sign_in"),
    path("session/keepalive/", views.session_keepalive, name="session_keepalive"),
    path("session/status/", views.session_status, name="session_status"),
]
