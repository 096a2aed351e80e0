"""The production cache: Redis, degrading rather than failing when Redis is out of reach.

The cache holds sign-in lockouts, the address slow-down, token failure counts and API throttles.
When Redis is down, reads miss and writes are dropped (each failure is logged as an error), so
people can still sign in and call the API; the counts start again once Redis is back. A Redis
outage therefore suspends lockout and throttling for its duration instead of turning every
sign-in and API call into a server error (docs/security.md, "Operating notes")."""

from __future__ import annotations

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger("icp_portal.security")


def _degrading(default_factory):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except RedisError as exc:
                logger.error(
                    "Cache unavailable (%s during %s): lockouts and throttles are suspended.", exc, method.__name__
                )
                return default_factory(*args, **kwargs)

        return wrapper

    return decorate


class ResilientRedisCache(RedisCache):
    """Django's Redis cache whose operations fall back when Redis cannot be reached."""

    get = _degrading(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _degrading(lambda keys, version=None: {})(RedisCache.get_many)
    has_key = _degrading(lambda key, version=None: False)(RedisCache.has_key)
    set = _degrading(lambda *args, **kwargs: None)(RedisCache.set)
    set_many = _degrading(lambda *args, **kwargs: [])(RedisCache.set_many)
    add = _degrading(lambda *args, **kwargs: True)(RedisCache.add)
    touch = _degrading(lambda *args, **kwargs: False)(RedisCache.touch)
    delete = _degrading(lambda *args, **kwargs: False)(RedisCache.delete)
    delete_many = _degrading(lambda *args, **kwargs: None)(RedisCache.delete_many)
    incr = _degrading(lambda key, delta=1, version=None: delta)(RedisCache.incr)
    clear = _degrading(lambda *args, **kwargs: False)(RedisCache.clear)
