# syntax=docker/dockerfile:1
# ICP Portal production image: gunicorn (web), Celery worker and Celery beat all run from it.

# --- front-end assets: USWDS, htmx, Chart.js from npm into static/vendor/ ---
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
COPY scripts/copy-assets.mjs scripts/copy-assets.mjs
RUN npm ci --no-audit --no-fund && npm run copy-assets

# --- application ---
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=icp_portal.settings.production \
    PORT=8000

# WeasyPrint's libraries and fonts; poppler-utils for PDF text checks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core poppler-utils \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

RUN groupadd --system --gid 10001 icp \
    && useradd --system --uid 10001 --gid icp --home-dir /app --shell /usr/sbin/nologin icp

COPY --chown=icp:icp . .
COPY --from=assets --chown=icp:icp /build/static/vendor ./static/vendor
# Mount points for the named volumes; created here so the volumes start owned by icp.
RUN mkdir -p /app/media /app/staticfiles /app/var && chown icp:icp /app/media /app/staticfiles /app/var

USER icp
EXPOSE 8000
# gunicorn.conf.py keeps the calendar feed's token out of the access log.
CMD ["gunicorn", "icp_portal.wsgi:application", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
