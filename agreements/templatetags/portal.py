"""Template helpers of the browser portal: state badges, query strings, durations."""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from agreements.choices import State
from agreements.partner_status import PARTNER_STATUS_TONES, partner_status

register = template.Library()

# USWDS-flavoured colour of each state's badge (classes in static/css/portal.css).
STATE_TONES = {
    State.PROPOSAL: "neutral",
    State.SSOI_DRAFTING: "neutral",
    State.RAD_REVIEW: "review",
    State.NEGOTIATION: "active",
    State.RFA_REVIEW: "review",
    State.CONGRESSIONAL_WAIT: "wait",
    State.APPROVED: "active",
    State.SIGNING: "active",
    State.SIGNED: "wait",
    State.IN_FORCE: "success",
    State.EXPIRED: "ended",
    State.TERMINATED: "ended",
    State.WITHDRAWN: "ended",
    State.DISAPPROVED: "error",
}


@register.inclusion_tag("includes/state_badge.html", takes_context=True)
def state_badge(context, state: str) -> dict:
    """A coloured, labelled badge for an agreement state; a partner liaison sees the
    partner-facing status instead (never the internal stage)."""
    user = context.get("user")
    if user is not None and getattr(user, "is_liaison", False):
        status = partner_status(state)
        return {"label": status.label, "tone": PARTNER_STATUS_TONES.get(status, "active")}
    return {
        "label": State(state).label if state in State.values else state,
        "tone": STATE_TONES.get(state, "neutral"),
    }


@register.simple_tag(takes_context=True)
def state_label(context, state: str) -> str:
    """The state's label as the viewer may read it (the partner-facing status for a liaison)."""
    user = context.get("user")
    if user is not None and getattr(user, "is_liaison", False):
        return partner_status(state).label
    return State(state).label if state in State.values else state


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (None or '' removes one)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def page_window(page) -> list:
    """Page numbers around the current page, the first and the last, with ellipses between:
    a pager that stays short whatever the number of pages."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


@register.filter
def days_label(days) -> str:
    """'1 day', '12 days', 'less than a day'."""
    if days is None:
        return "—"
    days = int(days)
    if days <= 0:
        return "less than a day"
    return "1 day" if days == 1 else f"{days} days"


@register.filter
def days_until(value) -> int | None:
    """Whole days from today until a date or datetime (negative when past)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return (value - timezone.localdate()).days


@register.filter
def days_since(value) -> int | None:
    """Whole days from ``value`` (a date or datetime) to today, or None."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return (timezone.localdate() - value).days


@register.simple_tag
def url_if_exists(name: str, *args) -> str:
    """The URL of a route another part of the portal may add later; '' while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.filter
def template_exists(name: str) -> bool:
    """Whether a template can be loaded (to include a panel another feature may add)."""
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template

    try:
        get_template(name)
    except TemplateDoesNotExist:
        return False
    return True


@register.filter
def usd(value) -> str:
    """US dollars with thousands separators and no cents: $4,000,000."""
    if value is None or value == "":
        return "—"
    return f"${value:,.0f}"


@register.filter
def chart_rows(chart: dict) -> list[tuple]:
    """(label, value) pairs of a chart, for the data table beside it."""
    return list(zip(chart.get("labels", []), chart.get("values", []), strict=False))


@register.filter
def percent_class(percent) -> str:
    """The progress-bar width class nearest to a percentage (portal-w-0 … portal-w-100)."""
    step = int(round(float(percent or 0) / 10.0)) * 10
    return f"portal-w-{max(0, min(100, step))}"


@register.filter
def event_name(name: str) -> str:
    """The readable label of a transition or audit event ("authorize_negotiation" → "Authorize negotiation")."""
    from workflow.transitions import event_label

    return event_label(name or "")


@register.simple_tag
def get_item(mapping: dict, key):
    """``{% get_item forms participant.pk as form %}``: one entry of a dict built by the view."""
    return mapping.get(key) if mapping else None


@register.filter
def notification_url(notification) -> str | None:
    """The page a notification is about."""
    from workflow.notifications import notification_url as url_for

    return url_for(notification)
