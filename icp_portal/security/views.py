"""Sign-in (password or CAC/PKI certificate) behind the consent banner, and the session's
keep-alive for the in-page time-out warning."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from icp_portal.addresses import address_in

from . import events
from .forms import ConsentAuthenticationForm, ConsentForm
from .lockout import account_is_locked, address_attempt, address_failed, address_wait_seconds, lockout_response
from .middleware import session_remaining_seconds
from .models import CertificateIdentity, EventKind, Outcome


def _error_page(request, form, message: str, status: int):
    """The sign-in page again, with ``message`` as the reason it failed."""
    context = _context(request, form)
    context["sign_in_error"] = message
    return render(request, "registration/login.html", context, status=status)


def _slowed_response(request, form, wait: int):
    events.record(
        EventKind.ADDRESS_SLOWED,
        request=request,
        username=str(request.POST.get("username", ""))[:150],
        outcome=Outcome.FAILURE,
        detail=f"asked to wait {wait} s",
    )
    message = f"Too many failed sign-ins from your network. Wait {wait} second{'s' if wait != 1 else ''} and try again."
    response = _error_page(request, form, message, 429)
    response["Retry-After"] = str(wait)
    return response


def _context(request, form) -> dict:
    return {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "cac_enabled": settings.CAC_ENABLED,
    }


def _record_consent(request) -> None:
    given = bool(request.POST.get("consent"))
    events.record(
        EventKind.BANNER_ACK,
        request=request,
        user=None,
        username=str(request.POST.get("username", ""))[:150],
        outcome=Outcome.SUCCESS if given else Outcome.FAILURE,
        detail="notice acknowledged" if given else "sign-in refused: notice not acknowledged",
    )


class PortalLoginView(LoginView):
    """Django's LoginView behind the consent banner and the address slow-down."""

    form_class = ConsentAuthenticationForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cac_enabled"] = settings.CAC_ENABLED
        return context

    def post(self, request, *args, **kwargs):
        wait = address_wait_seconds(request)
        if wait:
            # An unbound form: while the address waits, no credential is checked at all.
            username = str(request.POST.get("username", ""))[:150]
            return _slowed_response(request, self.form_class(request, initial={"username": username}), wait)
        address_attempt(request)
        _record_consent(request)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


def certificate_subject(request) -> str | None:
    """The certificate subject the TLS proxy passed, only when the connection itself comes from
    one of ``CAC_TRUSTED_PROXIES``; from anyone else the header is ignored."""
    if not settings.CAC_ENABLED:
        return None
    if not address_in(request.META.get("REMOTE_ADDR"), settings.CAC_TRUSTED_PROXIES):
        return None
    meta_key = "HTTP_" + settings.CAC_SUBJECT_HEADER.upper().replace("-", "_")
    subject = (request.META.get(meta_key) or "").strip()
    return subject[:500] or None


def _safe_next(request) -> str:
    candidate = request.POST.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@never_cache
@csrf_protect
@require_POST
def certificate_sign_in(request):
    """Sign in with the CAC/PKI certificate the trusted proxy verified (``CAC_ENABLED``)."""
    if not settings.CAC_ENABLED:
        raise Http404("Certificate sign-in is not enabled.")
    form = ConsentAuthenticationForm(request, initial={"username": ""})
    wait = address_wait_seconds(request)
    if wait:
        return _slowed_response(request, form, wait)
    address_attempt(request)
    _record_consent(request)
    consent = ConsentForm(request.POST)
    if not consent.is_valid():
        return _error_page(request, form, consent.errors["consent"][0], 400)

    def refuse(why: str, message: str, status: int = 403, username: str = ""):
        events.record(
            EventKind.SIGN_IN, request=request, username=username, outcome=Outcome.FAILURE, detail=f"certificate: {why}"
        )
        address_failed(request)
        return _error_page(request, form, message, status)

    subject = certificate_subject(request)
    if subject is None:
        trusted = address_in(request.META.get("REMOTE_ADDR"), settings.CAC_TRUSTED_PROXIES)
        return refuse(
            "no subject from the proxy" if trusted else "certificate header ignored: not from a trusted proxy",
            "No certificate was presented. Insert your CAC, reload the page and try again, "
            "or sign in with your password.",
            status=400,
        )
    identity = CertificateIdentity.objects.select_related("user").filter(subject=subject).first()
    if identity is None or not identity.user.is_active:
        return refuse(
            f"no active user for subject {subject[:120]}",
            "Your certificate is not registered for ICP Portal. Ask your portal administrator to register it.",
        )
    user = identity.user
    if account_is_locked(user.get_username()):
        events.record(
            EventKind.SIGN_IN,
            request=request,
            user=user,
            outcome=Outcome.FAILURE,
            detail="refused: the account is locked",
        )
        return lockout_response(request)
    CertificateIdentity.objects.filter(pk=identity.pk).update(last_used_at=timezone.now())
    request.sign_in_method = "certificate"
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(_safe_next(request))


@never_cache
@require_POST
def session_keepalive(request):
    """Keep the session ("Stay signed in"): this request is activity, so the idle clock starts again."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "You are not signed in.", "code": "not_authenticated"}, status=401)
    return JsonResponse({"remaining_seconds": session_remaining_seconds(request)})


@never_cache
@require_GET
def session_status(request):
    """Seconds left in this session (sent as a background request: it does not extend it)."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "You are not signed in.", "code": "not_authenticated"}, status=401)
    return JsonResponse({"remaining_seconds": session_remaining_seconds(request)})
