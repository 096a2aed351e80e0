"""The production cache: Redis, degrading rather than failing when Redis is out of reach.

The cache holds sign-in lockouts, the address slow-down, token failure counts, API throttles,
verified token lookups and the dashboard's figures. When Redis is down, reads miss and writes are
dropped, so people can still sign in and call the API; the counts start again once Redis is back.
A Redis outage therefore suspends lockout and throttling for its duration instead of turning
every sign-in and API call into a server error (docs/security.md, "Operating notes").

A Redis that accepts connections but never answers (hung, or a network that drops packets)
would cost every cache call its full socket timeout, and a token request makes three or four of
them. So each process keeps a circuit breaker per Redis: after a connection error or timeout it
skips Redis for ``breaker_seconds`` (``CACHE_BREAKER_SECONDS``), answering at once as if Redis
were down; then one call tries Redis again while the others keep skipping, and its answer closes
the breaker or keeps it open for another period. Opening and closing are logged on
``icp_portal.security`` ("Cache unavailable …" / "Cache reachable again …").

Deletions are how a revoked token or a deactivated user stops working at once (the token lookup
is cached), so one that cannot reach Redis is not forgotten: the process remembers the key and
deletes it as soon as Redis answers again.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("icp_portal.security")

DEFAULT_BREAKER_SECONDS = 5.0
# Deletions remembered while Redis is out of reach, at most (a revocation storm cannot grow memory).
MAX_OWED_DELETIONS = 10_000
# An unreachable Redis: the only failures that open the breaker (a refused command does not).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class CircuitBreaker:
    """Whether this process should try a Redis server now, shared by all threads of the process,
    and the deletions it owes that server."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._open_until = 0.0  # time.monotonic() until which calls are skipped; 0: closed
        self._owed: dict[str, None] = {}  # full cache keys, in order

    def allow(self) -> bool:
        """True when a call may go to Redis: always while closed; once the period is over, for
        one call (the trial), the others skipping until it answers or another period passes."""
        with self._lock:
            if self._open_until == 0.0:
                return True
            now = time.monotonic()
            if now < self._open_until:
                return False
            self._open_until = now + self.seconds
            return True

    def failed(self) -> bool:
        """Redis was unreachable: skip it for a period. True when this opened the breaker."""
        with self._lock:
            opened = self._open_until == 0.0
            self._open_until = time.monotonic() + self.seconds
            return opened

    def answered(self) -> bool:
        """Redis answered: close the breaker. True when this closed it."""
        with self._lock:
            closed, self._open_until = self._open_until != 0.0, 0.0
            return closed

    def owe_deletions(self, keys: Iterable[str]) -> None:
        """Remember keys whose deletion did not reach Redis."""
        with self._lock:
            for key in keys:
                if len(self._owed) >= MAX_OWED_DELETIONS:
                    logger.error("Cache unavailable: too many deletions wait for Redis; the newest are forgotten.")
                    return
                self._owed[key] = None

    def take_owed_deletions(self) -> list[str]:
        """The deletions owed, handed to the caller (who owes them again if Redis fails)."""
        with self._lock:
            owed, self._owed = list(self._owed), {}
            return owed


_breakers: dict[tuple[tuple[str, ...], float], CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def circuit_breaker(servers: Iterable[str], seconds: float) -> CircuitBreaker:
    """The process's one breaker for these servers (Django makes a cache object per thread)."""
    key = (tuple(servers), float(seconds))
    with _breakers_lock:
        if key not in _breakers:
            _breakers[key] = CircuitBreaker(seconds)
        return _breakers[key]


def _guarded(fallback: Callable[..., Any], *, deletes: Callable[..., list[str]] | None = None):
    """Wrap a cache operation: skipped while the breaker is open, its fallback answered when
    Redis fails. ``deletes`` names the full keys an operation deletes, owed when they fail."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self: ResilientRedisCache, *args, **kwargs):
            breaker = self.breaker
            if not breaker.allow():
                if deletes is not None:
                    breaker.owe_deletions(deletes(self, *args, **kwargs))
                return fallback(*args, **kwargs)
            owed = breaker.take_owed_deletions()
            try:
                if owed:  # before anything is read: a revoked token's cached lookup goes first
                    self._cache.delete_many(owed)
                    owed = []
                result = method(self, *args, **kwargs)
            except ValueError:  # incr of a missing key: Redis answered
                self._answered()
                raise
            except RedisError as exc:
                if isinstance(exc, UNREACHABLE):  # a command Redis refused would be refused again
                    breaker.owe_deletions(owed)
                    if deletes is not None:
                        breaker.owe_deletions(deletes(self, *args, **kwargs))
                self._failed(exc, method.__name__)
                return fallback(*args, **kwargs)
            self._answered()
            return result

        return wrapper

    return decorate


def _deleted_key(cache: ResilientRedisCache, key: str, version: int | None = None) -> list[str]:
    return [cache.make_and_validate_key(key, version=version)]


def _deleted_keys(cache: ResilientRedisCache, keys: Iterable[str], version: int | None = None) -> list[str]:
    return [cache.make_and_validate_key(key, version=version) for key in keys]


class ResilientRedisCache(RedisCache):
    """Django's Redis cache whose operations fall back when Redis cannot be reached, with a
    per-process circuit breaker (``OPTIONS["breaker_seconds"]``) so a hung Redis costs one
    timeout per period instead of one per call."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        seconds = float(options.pop("breaker_seconds", DEFAULT_BREAKER_SECONDS))
        super().__init__(server, {**params, "OPTIONS": options})
        self.breaker = circuit_breaker(self._servers, seconds)

    def _answered(self) -> None:
        if self.breaker.answered():
            logger.warning("Cache reachable again: lockouts and throttles count again.")

    def _failed(self, exc: RedisError, operation: str) -> None:
        if not isinstance(exc, UNREACHABLE):  # Redis answered, refusing the command
            self._answered()
            logger.error("Cache error (%s during %s): the call was treated as a miss.", exc, operation)
            return
        self.breaker.failed()
        logger.error(
            "Cache unavailable (%s during %s): lockouts and throttles are suspended; Redis is skipped for %s s.",
            exc,
            operation,
            self.breaker.seconds,
        )

    get = _guarded(lambda key, default=None, version=None: default)(RedisCache.get)
    get_many = _guarded(lambda keys, version=None: {})(RedisCache.get_many)
    has_key = _guarded(lambda key, version=None: False)(RedisCache.has_key)
    set = _guarded(lambda *args, **kwargs: None)(RedisCache.set)
    set_many = _guarded(lambda *args, **kwargs: [])(RedisCache.set_many)
    add = _guarded(lambda *args, **kwargs: True)(RedisCache.add)
    touch = _guarded(lambda *args, **kwargs: False)(RedisCache.touch)
    delete = _guarded(lambda *args, **kwargs: False, deletes=_deleted_key)(RedisCache.delete)
    delete_many = _guarded(lambda *args, **kwargs: None, deletes=_deleted_keys)(RedisCache.delete_many)
    incr = _guarded(lambda key, delta=1, version=None: delta)(RedisCache.incr)
    clear = _guarded(lambda *args, **kwargs: False)(RedisCache.clear)
