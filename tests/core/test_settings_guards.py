"""Production settings refuse unsafe configurations, and pass check --deploy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "x7#Qp2!vR9s@Lm4^Tz8&Wn3*Yb6(Kd1)Hf5_Gj0+Cx2=Va7-Ue9~Io3"


def run_settings(env_overrides, *args):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PX360_", "DATABASE_URL"))}
    env.pop("SECRET_KEY", None)
    env.pop("ALLOWED_HOSTS", None)
    env.pop("DEBUG", None)
    env.update({"DJANGO_SETTINGS_MODULE": "px360.settings", "PX360_VAR_DIR": "/tmp/px360-settings-test"})
    env.update(env_overrides)
    command = args or ("-c", "import django; django.setup()")
    return subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


PRODUCTION = {
    "PX360_ENV": "production",
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "px360.example.org",
    "DATABASE_URL": "postgresql://px360@127.0.0.1:5432/px360",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DATABASE_URL": None}, "refuses SQLite"),
        ({"DATABASE_URL": "sqlite:////tmp/px.db"}, "refuses SQLite"),
        ({"DEBUG": "true"}, "refuses DEBUG"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must be set"),
    ],
)
def test_production_refuses_unsafe_settings(change, message):
    env = {key: value for key, value in {**PRODUCTION, **change}.items() if value is not None}
    result = run_settings(env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEBUG", "maybe"), ("PX360_SESSION_IDLE_MINUTES", "fifteen"), ("PX360_ENV", "prod"), ("EMAIL_PORT", "0")],
)
def test_bad_values_fail_loudly(name, value):
    result = run_settings({name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_production_passes_deploy_checks():
    result = run_settings(PRODUCTION, "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_development_defaults_to_sqlite_with_wal_and_immediate_transactions(settings):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("the suite is running against DATABASE_URL")
    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["OPTIONS"]["timeout"] >= 20


def test_job_queue_cannot_replay_work(settings):
    cluster = settings.Q_CLUSTER
    assert cluster["timeout"] and cluster["retry"] > cluster["timeout"]
    assert cluster["max_attempts"] >= 1
    assert cluster["catch_up"] is False
    assert "django-q" in settings.LOGGING["loggers"]
