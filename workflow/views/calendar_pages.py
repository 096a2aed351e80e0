"""The calendar page (month and list views), the personal iCalendar feed, and creating and
revoking the feed's address. The dates come from workflow.calendar."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .. import calendar as calendar_rules
from ..calendar import (
    KIND_LABELS,
    calendar_feed_create,
    calendar_feed_for_token,
    calendar_feed_revoke,
    calendar_ics,
    calendar_window_for,
)
from ..models import AccessLog, CalendarFeed

LIST_DAYS = 120


def _month(value: str, today: dt.date) -> dt.date:
    try:
        year, month = (int(part) for part in value.split("-", 1))
        if 1990 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    except (ValueError, AttributeError):
        pass
    return today.replace(day=1)


@login_required
@require_GET
def calendar_page(request):
    """The user's dates: a month grid, or a list of what is coming (and what was missed lately)."""
    today = timezone.localdate()
    view = "list" if request.GET.get("view") == "list" else "month"
    context = {
        "view": view,
        "today": today,
        "kind_labels": KIND_LABELS,
        "max_events": calendar_rules.MAX_EVENTS,
        "max_past_events": calendar_rules.MAX_PAST_EVENTS,
    }
    if view == "month":
        first = _month(request.GET.get("month", ""), today)
        weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        window = calendar_window_for(request.user, weeks[0][0], weeks[-1][-1])
        events = window.events
        by_day = defaultdict(list)
        for event in events:
            by_day[event.date].append(event)
        previous = (first - dt.timedelta(days=1)).replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        context.update(
            {
                "month": first,
                "weeks": [
                    [{"date": day, "events": by_day.get(day, []), "in_month": day.month == first.month} for day in week]
                    for week in weeks
                ],
                "previous": previous,
                "following": following,
                "count": sum(1 for e in events if e.date.month == first.month),
                "window": window,
            }
        )
    else:
        start = today - dt.timedelta(days=14)
        window = calendar_window_for(request.user, start, today + dt.timedelta(days=LIST_DAYS))
        days = defaultdict(list)
        for event in window.events:
            days[event.date].append(event)
        context.update({"days": sorted(days.items()), "start": start, "list_days": LIST_DAYS, "window": window})
    return render(request, "workflow/calendar.html", context)


@never_cache
@require_GET
def calendar_feed(request, token: str):
    """The iCalendar feed behind a secret address (no sign-in: calendar programs cannot)."""
    feed = calendar_feed_for_token(token)
    if feed is None:
        raise Http404("No such calendar.")
    if feed.user.is_liaison:
        # A liaison's every read is logged; the secret part of the address is not.
        AccessLog.objects.create(
            user=feed.user,
            method=request.method[:10],
            path=f"{reverse('calendar')}feed/{feed.prefix}….ics",
            status_code=200,
            request_id=getattr(request, "id", "") or "",
            client_address=request.META.get("REMOTE_ADDR"),
        )
    response = HttpResponse(calendar_ics(feed.user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="icp-portal.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@login_required
@require_POST
def calendar_feed_create_view(request):
    """Create a feed address and show it on this one response only."""
    feed, token = calendar_feed_create(user=request.user)
    url = request.build_absolute_uri(reverse("calendar_feed", args=[token]))
    return render(request, "workflow/calendar_feed_created.html", {"feed": feed, "url": url})


@login_required
@require_POST
def calendar_feed_revoke_view(request, pk: int):
    """Revoke one of the user's feed addresses (another user's is a 404)."""
    feed = get_object_or_404(CalendarFeed, pk=pk, user=request.user)
    calendar_feed_revoke(feed=feed, user=request.user)
    messages.success(request, f"The calendar feed address {feed.prefix}… is revoked: it no longer answers.")
    return redirect(reverse("profile") + "#calendar-feed")
