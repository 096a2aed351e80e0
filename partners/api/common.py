"""API building blocks every app's API uses and that need nothing above partners: pagination,
the liaison read-only rule at the API door, the serializer mixin that drops internal fields for
liaisons, and a bounded list field. What needs the other apps (the error shape with the agreement
states, Idempotency-Key, the view mixins) is in ``icp_portal.api``."""

from __future__ import annotations

from rest_framework import permissions, serializers
from rest_framework.pagination import CursorPagination, PageNumberPagination


class BoundedListField(serializers.ListField):
    """A ListField that checks the list's length before validating any item (DRF checks it after,
    so an oversized list of lookups would cost a query per item before its 400)."""

    def to_internal_value(self, data):
        if isinstance(data, str | dict) or not hasattr(data, "__len__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class PortalPagination(PageNumberPagination):
    """``?page=N&page_size=M`` (M up to 200; 50 by default)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class PortalCursorPagination(CursorPagination):
    """``?cursor=…&page_size=M`` (M up to 200; 50 by default), for append-only logs: each page
    continues from where the last one ended (the ``next`` and ``previous`` links carry the
    cursor), so reading one costs the same however long the log, and rows recorded meanwhile
    neither shift nor repeat a page. There is no ``count``: counting a log of millions of rows
    on every page is what this avoids. Subclasses give the ``ordering``."""

    page_size = PortalPagination.page_size
    page_size_query_param = PortalPagination.page_size_query_param
    max_page_size = PortalPagination.max_page_size


class LiaisonReadOnly(permissions.BasePermission):
    """Partner liaisons read; they never write (the services refuse too). Checked on the object
    after it is found, so an object outside the liaison's scope stays a 404."""

    message = "Partner liaisons have read-only access."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if request.method in permissions.SAFE_METHODS or not getattr(user, "is_liaison", False):
            return True
        # Writes on a collection (no object to find first) are refused at once.
        return bool(getattr(view, "detail", False))

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        return not getattr(request.user, "is_liaison", False)


def is_liaison(context: dict) -> bool:
    """Whether the request in a serializer's context comes from a partner liaison."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return bool(user is not None and getattr(user, "is_liaison", False))


class LiaisonSafeMixin:
    """Serializer mixin: fields named in ``Meta.internal_fields`` do not exist at all in what a
    partner liaison receives (absent, not null)."""

    def get_fields(self):
        fields = super().get_fields()
        if is_liaison(self.context):
            for name in getattr(self.Meta, "internal_fields", ()):
                fields.pop(name, None)
        return fields
