"""Benchmark settings: the production settings (or the test ones, BENCH_BASE=test) with the bare
yardstick view mounted at /bench/bare/. Used only by `make bench`."""

import os

if os.environ.get("BENCH_BASE", "production") == "production":
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-any-deployment-0123456789")
    from icp_portal.settings.production import *  # noqa: F403
else:
    from icp_portal.settings.test import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
# The load test signs in over plain HTTP on 127.0.0.1.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The __Host- prefixes need Secure cookies; the load test's sessions are sent as "sessionid".
SESSION_COOKIE_NAME = "sessionid"
CSRF_COOKIE_NAME = "csrftoken"
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
# Thousands of sign-ins from one address are the load test, not an attack.
AXES_ENABLED = False
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"anon": "100000/min", "user": "1000000/min"}
