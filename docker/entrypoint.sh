#!/bin/sh
# PX360 container entry point.
#
#   web       wait for the database, migrate, create the roles and the scheduled
#             jobs (all idempotent), then exec gunicorn
#   qcluster  wait for the database and for the migrations, then exec the
#             django-q2 job cluster
#   anything else is exec'd as given, e.g. `python manage.py createsuperuser`
#
# PX360_WAIT_SECONDS (default 120) bounds each wait.
set -eu

# /app in the image; the directory above this script anywhere else.
cd "$(dirname "$0")/.."

# Waits for the database (mode "database") or for every migration to be
# applied (mode "migrations"), in one Python process so Django starts once.
# A settings error (ImproperlyConfigured) stops at once with its message.
wait_for() {
    python - "$1" "${PX360_WAIT_SECONDS:-120}" <<'PY'
import sys
import time

import django

mode, timeout = sys.argv[1], int(sys.argv[2])
django.setup()

from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

deadline = time.monotonic() + timeout
attempt = 0
while True:
    attempt += 1
    try:
        connection.ensure_connection()
        if mode == "migrations":
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                raise RuntimeError(f"{len(pending)} migration(s) not applied yet")
        sys.exit(0)
    except Exception as exc:
        connection.close()
        if time.monotonic() >= deadline:
            sys.exit(f"entrypoint: gave up waiting for the {mode} after {timeout}s: {exc}")
        print(f"entrypoint: waiting for the {mode} (attempt {attempt}): {exc}", file=sys.stderr, flush=True)
        time.sleep(2)
PY
}

refuse_placeholder_secret() {
    case "${SECRET_KEY:-}" in
        *change-me*)
            echo "entrypoint: SECRET_KEY is still the placeholder from .env.production.example" >&2
            exit 1
            ;;
    esac
}

case "${1:-}" in
    web)
        shift
        refuse_placeholder_secret
        wait_for database
        python manage.py migrate --noinput
        python manage.py create_default_roles
        python manage.py setup_schedules
        # Deployment warnings go to the log; only errors stop the start.
        python manage.py check --deploy
        exec gunicorn px360.wsgi:application \
            --config gunicorn.conf.py \
            --bind "0.0.0.0:${PORT:-8000}" \
            --workers "${GUNICORN_WORKERS:-3}" \
            --threads "${GUNICORN_THREADS:-4}" \
            --timeout "${GUNICORN_TIMEOUT:-60}" \
            --graceful-timeout "${GUNICORN_GRACEFUL_TIMEOUT:-30}" \
            --keep-alive "${GUNICORN_KEEPALIVE:-5}" \
            --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1,::1}" \
            --worker-tmp-dir /dev/shm \
            --access-logfile - \
            --error-logfile - \
            "$@"
        ;;
    qcluster)
        shift
        refuse_placeholder_secret
        # The web container migrates; a cluster started on an unmigrated
        # database would fail on the django_q tables.
        wait_for migrations
        exec python manage.py qcluster "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
