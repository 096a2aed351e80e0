"""``{% calendar_feed_panel %}``: the profile page's calendar-feed section."""

from django import template

from workflow.models import CalendarFeed

register = template.Library()


@register.inclusion_tag("workflow/_calendar_feed_panel.html", takes_context=True)
def calendar_feed_panel(context):
    """The user's calendar feeds (newest five) for the calendar page."""
    user = context["request"].user
    feeds = CalendarFeed.objects.filter(user=user).order_by("revoked_at", "-created_at")[:5]
    return {"feeds": feeds, "csrf_token": context.get("csrf_token")}
