"""A hung Redis costs each web process about one cache timeout per breaker period, not one per
call: after a connection error or timeout the cache skips Redis for CACHE_BREAKER_SECONDS, then
lets one call try it again. A deletion that could not reach Redis is made before anything is read
once Redis answers, so a revoked token never comes back from the cache."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from icp_portal.cache import ResilientRedisCache
from partners.services import api_token_create, api_token_revoke

TIMEOUT = 0.3
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/10")


class HungRedis:
    """A TCP listener that accepts connections and never answers: a stopped (SIGSTOP) or
    unreachable-behind-a-firewall Redis. Counts the connections made to it."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.1)
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for connection in self.accepted:
            connection.close()
        self.listener.close()


@pytest.fixture
def hung_redis():
    server = HungRedis()
    yield server
    server.close()


def _cache(location: str, breaker_seconds: float) -> ResilientRedisCache:
    # A fresh prefix per test: each test starts with its own breaker and its own keys.
    return ResilientRedisCache(
        location,
        {
            "KEY_PREFIX": f"breaker-test-{uuid.uuid4().hex}",
            "OPTIONS": {
                "socket_connect_timeout": TIMEOUT,
                "socket_timeout": TIMEOUT,
                "breaker_seconds": breaker_seconds,
            },
        },
    )


def _fresh_breaker(cache: ResilientRedisCache) -> None:
    """Breakers are per process and per server: give this cache one of its own."""
    from icp_portal.cache import CircuitBreaker

    cache.breaker = CircuitBreaker(cache.breaker.seconds)


def test_twenty_calls_to_a_hung_redis_cost_one_timeout_then_are_skipped(hung_redis, caplog):
    cache = _cache(hung_redis.url, breaker_seconds=30)
    _fresh_breaker(cache)
    caplog.set_level(logging.WARNING, logger="icp_portal.security")
    timings = []
    for index in range(20):
        started = time.monotonic()
        if index % 4 == 0:
            assert cache.get_many(["a", "b"]) == {}
        elif index % 4 == 1:
            assert cache.get("token", "miss") == "miss"
        elif index % 4 == 2:
            assert cache.incr("throttle") == 1  # the throttle lets the request through
        else:
            cache.set("token", "value")
        timings.append(time.monotonic() - started)

    assert TIMEOUT * 0.9 <= timings[0] < TIMEOUT * 3  # the first call waits out one timeout…
    assert max(timings[1:]) < 0.05  # …every later one answers at once
    assert sum(timings) < TIMEOUT * 3
    assert len(hung_redis.accepted) == 1  # the skipped calls never opened a connection
    unavailable = [r for r in caplog.records if "Cache unavailable" in r.getMessage()]
    assert len(unavailable) == 1 and unavailable[0].levelno == logging.ERROR


def test_after_the_period_one_call_tries_again_while_the_others_keep_skipping(hung_redis):
    cache = _cache(hung_redis.url, breaker_seconds=0.5)
    _fresh_breaker(cache)
    cache.get("opens-the-breaker")
    time.sleep(0.6)

    def timed_get(_):
        started = time.monotonic()
        cache.get("key")
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=8) as pool:
        timings = list(pool.map(timed_get, range(8)))
    slow = [t for t in timings if t >= TIMEOUT * 0.9]
    assert len(slow) == 1, timings  # the trial paid the timeout; it failed, so the breaker stays open
    assert len(hung_redis.accepted) == 2
    started = time.monotonic()
    cache.get("key")
    assert time.monotonic() - started < 0.05


def test_a_connection_refused_opens_the_breaker_too():
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    port = refused.getsockname()[1]
    refused.close()  # nothing listens there now
    cache = _cache(f"redis://127.0.0.1:{port}/0", breaker_seconds=30)
    _fresh_breaker(cache)
    assert cache.add("lock", 1) is True
    assert cache.breaker.allow() is False


def test_redis_answering_again_closes_the_breaker_and_counts_resume(caplog):
    cache = _cache(REDIS_URL, breaker_seconds=0.3)
    _fresh_breaker(cache)
    caplog.set_level(logging.WARNING, logger="icp_portal.security")
    cache.breaker.failed()  # as after a timeout
    cache.set("count", 5)
    assert cache.get("count") is None  # skipped: nothing was written
    time.sleep(0.35)
    cache.set("count", 5)  # the trial reaches Redis and closes the breaker
    assert cache.incr("count") == 6 and cache.get("count") == 6
    assert "Cache reachable again" in caplog.text
    cache.delete_many(["count"])


def test_a_deletion_made_while_redis_was_out_of_reach_happens_before_the_next_read():
    cache = _cache(REDIS_URL, breaker_seconds=0.3)
    _fresh_breaker(cache)
    cache.set("api-token:revoked", "cached lookup")
    cache.set("other", "kept")
    cache.breaker.failed()
    assert cache.delete("api-token:revoked") is False  # skipped, and owed
    cache.delete_many(["other-missing"])
    time.sleep(0.35)
    assert cache.get("api-token:revoked") is None  # the owed deletion went first
    assert cache.get("other") == "kept"
    cache.delete_many(["other"])


def test_a_command_redis_refuses_is_a_miss_and_leaves_the_breaker_closed(caplog):
    cache = _cache(REDIS_URL, breaker_seconds=30)
    _fresh_breaker(cache)
    cache.set("words", "not a number")
    assert cache.incr("words") == 1  # Redis answers "not an integer": treated as a miss
    assert "Cache error" in caplog.text and "Cache unavailable" not in caplog.text
    assert cache.breaker.allow() is True and cache.get("words") == "not a number"
    cache.delete_many(["words"])


@pytest.mark.django_db
def test_token_requests_against_a_hung_redis_cost_at_most_one_timeout_in_all(
    client, program_office, hung_redis, settings
):
    token, key = api_token_create(user=program_office, name="script")
    api = client.__class__(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/me/").status_code == 200  # warm: the first request imports the API
    settings.CACHES = {
        "default": {
            "BACKEND": "icp_portal.cache.ResilientRedisCache",
            "LOCATION": hung_redis.url,
            "KEY_PREFIX": f"breaker-test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT, "breaker_seconds": 30},
        }
    }
    timings = []
    for _ in range(5):
        started = time.monotonic()
        assert api.get("/api/v1/me/").status_code == 200
        timings.append(time.monotonic() - started)
    # Failure counts, the token lookup, the throttle and last use: one timeout in all, not one each.
    assert timings[0] < TIMEOUT + 0.5 and max(timings[1:]) < 0.3, timings
    assert len(hung_redis.accepted) == 1
    api_token_revoke(token=token, user=program_office)
    assert api.get("/api/v1/me/").status_code == 401  # the revocation holds, Redis or not
