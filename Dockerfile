# syntax=docker/dockerfile:1
# PX360 production image: gunicorn serving the Django app, static files served
# by WhiteNoise from inside the app, run as an unprivileged user (uid 10001).
#
#   docker build -t px360 .
#   docker run --env-file .env.production px360 web        # migrate + roles + schedules, then gunicorn
#   docker run --env-file .env.production px360 qcluster   # the django-q2 job cluster
#
# docker-compose.yml wires both to PostgreSQL and Redis.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

# --- builder: virtual environment, compiled translations, collected static files
FROM ${PYTHON_IMAGE} AS builder

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# GNU gettext (msgfmt) for compilemessages; this stage only, never in the final image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so a code change does not reinstall them.
# psycopg[binary] ships its own libpq: no compiler or libpq-dev needed.
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
    && pip install -r /tmp/requirements.txt

WORKDIR /app
COPY . .

# Arabic translations (locale/ar/LC_MESSAGES/django.po -> .mo).
RUN django-admin compilemessages --locale ar

# Static files for WhiteNoise. Collected with PX360_ENV=production so that the
# storage is the same CompressedManifestStaticFilesStorage the running app uses:
# files collected in development mode have no staticfiles.json manifest, and
# every admin page would then fail with "Missing staticfiles manifest entry".
# Production settings demand these variables but collectstatic never connects
# to the database; the values exist for this RUN line only.
RUN PX360_ENV=production \
    SECRET_KEY=build-only-dummy-secret-key-never-used-at-runtime-0123456789abcdef \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgresql://build@127.0.0.1:1/build \
    PX360_VAR_DIR=/tmp/build-var \
    STATIC_ROOT=/app/staticfiles \
    python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var

# --- final: the venv and the app, nothing else
FROM ${PYTHON_IMAGE} AS final

LABEL org.opencontainers.image.title="PX360" \
      org.opencontainers.image.description="Patient experience management for hospital groups"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=px360.settings \
    PX360_ENV=production \
    PX360_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    PORT=8000

RUN groupadd --system --gid 10001 px360 \
    && useradd --system --uid 10001 --gid px360 --home-dir /home/px360 --create-home \
       --shell /usr/sbin/nologin px360

COPY --from=builder /opt/venv /opt/venv
# The code stays owned by root (read-only for the app); only /app/var is writable.
COPY --from=builder /app /app

WORKDIR /app
RUN chmod 0755 /app/docker/entrypoint.sh \
    && mkdir -p /app/var/media \
    && chown -R px360:px360 /app/var

# Uploads (MEDIA_ROOT) and other runtime files; shared by the web and qcluster containers.
VOLUME ["/app/var"]

USER 10001:10001

EXPOSE 8000

# /health/ is 200 when the database answers and the job cluster has beaten
# recently (or, for two minutes after the web process starts, has not beaten
# yet: "starting"); it is exempt from the SSL redirect. The Host header is the first
# entry of ALLOWED_HOSTS, or Django would answer 400 (DisallowedHost).
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; hosts = [h.strip().lstrip('.') for h in os.environ.get('ALLOWED_HOSTS', '').split(',') if h.strip() not in ('', '*')]; r.urlopen(r.Request('http://127.0.0.1:%s/health/' % os.environ.get('PORT', '8000'), headers={'Host': (hosts or ['localhost'])[0]}), timeout=4)"]

# gunicorn (web) and the job cluster (qcluster) both stop gracefully on SIGTERM;
# the entry point execs them, so the signal reaches them and not a shell.
STOPSIGNAL SIGTERM

ENTRYPOINT ["/app/docker/entrypoint.sh"]
# `web`: wait for the database, migrate, create_default_roles, setup_schedules,
# then exec gunicorn px360.wsgi:application (GUNICORN_WORKERS, GUNICORN_THREADS,
# GUNICORN_TIMEOUT, FORWARDED_ALLOW_IPS; access log on stdout).
CMD ["web"]
