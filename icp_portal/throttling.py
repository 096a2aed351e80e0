"""API throttles that cost one cache round trip a request.

DRF's ``SimpleRateThrottle`` keeps every request's time of the last period in one cache entry,
read and written back whole on each request: at 1,200 requests a minute that is a list of 1,200
floats unpickled and pickled twice per call. These count instead: one ``incr`` per request on a
counter that lives for one period from the first request it counts (``add`` starts it), with the
period's start kept beside it for ``Retry-After``. The rates and scopes are DRF's
(``DEFAULT_THROTTLE_RATES``), and a cache outage lets requests through as before
(``ResilientRedisCache.incr`` answers 1).
"""

from __future__ import annotations

import time

from django.core.cache import cache as default_cache
from rest_framework import throttling


class _CountingMixin:
    cache = default_cache

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        try:
            count = self.cache.incr(self.key)
        except ValueError:  # no counter yet: this request starts the period
            count = 1 if self.cache.add(self.key, 1, self.duration) else self.cache.incr(self.key)
            self.cache.add(f"{self.key}:start", self.now, self.duration)
        return count <= self.num_requests or self.throttle_failure()

    def wait(self):
        started = self.cache.get(f"{self.key}:start")
        if started is None:
            return self.duration
        return max(1.0, self.duration - (time.time() - started))


class AnonRateThrottle(_CountingMixin, throttling.AnonRateThrottle):
    """DRF's ``AnonRateThrottle`` (scope ``anon``), counting."""


class UserRateThrottle(_CountingMixin, throttling.UserRateThrottle):
    """DRF's ``UserRateThrottle`` (scope ``user``), counting."""
