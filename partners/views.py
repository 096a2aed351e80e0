"""The profile page: who you are, and your personal API tokens (create, revoke)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .forms import ApiTokenCreateForm
from .models import ApiToken
from .services import api_token_create, api_token_denial, api_token_revoke

# The newest tokens shown on the profile page (revoked ones last); the admin lists them all.
PROFILE_TOKENS_SHOWN = 50


def _profile(request, form: ApiTokenCreateForm, *, new_key: str = "", new_token=None, status: int = 200):
    tokens = (
        ApiToken.objects.filter(user=request.user)
        .order_by(F("revoked_at").asc(nulls_first=True), "-created_at")
        .all()[:PROFILE_TOKENS_SHOWN]
    )
    return render(
        request,
        "partners/profile.html",
        {
            "form": form,
            "tokens": tokens,
            "new_key": new_key,
            "new_token": new_token,
            "token_denial": api_token_denial(request.user),
            "token_days": settings.API_TOKEN_DAYS,
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD"])
def profile(request):
    """The signed-in user's account and API tokens."""
    return _profile(request, ApiTokenCreateForm())


@never_cache
@login_required
@require_http_methods(["POST"])
def api_token_create_view(request):
    """Create a token and show its key on this one response only (never stored, never redirected
    through the session)."""
    form = ApiTokenCreateForm(request.POST)
    if not form.is_valid():
        return _profile(request, form, status=400)
    try:
        token, key = api_token_create(user=request.user, name=form.cleaned_data["name"], request=request)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return _profile(request, form, status=403)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _profile(request, form, status=400)
    return _profile(request, ApiTokenCreateForm(), new_key=key, new_token=token)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def api_token_revoke_view(request, pk: int):
    """Ask for confirmation (GET), then revoke (POST). Another user's token is a 404."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if request.method == "POST":
        api_token_revoke(token=token, user=request.user, request=request)
        messages.success(request, f"The token “{token.name}” ({token.prefix}…) is revoked.")
        return redirect("profile")
    return render(request, "partners/token_revoke_confirm.html", {"token": token})
