from django.urls import path

from . import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/tokens/", views.api_token_create_view, name="api-token-create"),
    path("profile/tokens/<int:pk>/revoke/", views.api_token_revoke_view, name="api-token-revoke"),
]
