from django.urls import path

from . import views

urlpatterns = [
    path("accounts/login/", views.PortalLoginView.as_view(), name="login"),
    path("accounts/certificate/", views.certificate_sign_in, name="certificate_sign_in"),
    path("session/keepalive/", views.session_keepalive, name="session_keepalive"),
    path("session/status/", views.session_status, name="session_status"),
]
