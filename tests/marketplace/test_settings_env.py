"""Settings come from the environment; a bad value stops start-up with a message naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from marketplace.env import Env

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "s" * 50


def start(**overrides):
    """Import the settings module in a fresh interpreter with exactly this environment."""
    environ = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "marketplace.settings"}
    environ.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    "environ, variable",
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "false", "ALLOWED_HOSTS": "example.com"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": "short", "ALLOWED_HOSTS": "example.com"}, "SECRET_KEY"),
        ({"DEBUG": "false", "SECRET_KEY": GOOD_SECRET}, "ALLOWED_HOSTS"),
        ({"DEBUG": "true", "ALLOWED_HOSTS": "a.com,,b.com"}, "ALLOWED_HOSTS"),
        ({"DEBUG": "true", "DATABASE_URL": "mysql://localhost/db"}, "DATABASE_URL"),
        ({"DEBUG": "true", "DATABASE_URL": "postgres://localhost:notaport/db"}, "DATABASE_URL"),
        ({"DEBUG": "true", "REDIS_URL": "http://localhost:6379"}, "REDIS_URL"),
        ({"DEBUG": "true", "REDIS_URL": "redis://localhost:6379/0", "CHANNEL_LAYER": "fast"}, "CHANNEL_LAYER"),
        ({"DEBUG": "true", "EMAIL_PORT": "twenty-five"}, "EMAIL_PORT"),
        ({"DEBUG": "true", "EMAIL_BACKEND": "carrier-pigeon"}, "EMAIL_BACKEND"),
        ({"DEBUG": "true", "STRIPE_SECRET_KEY": "pk_test_123"}, "STRIPE_SECRET_KEY"),
        ({"DEBUG": "true", "STRIPE_WEBHOOK_SECRET": "secret"}, "STRIPE_WEBHOOK_SECRET"),
        ({"DEBUG": "true", "TASKS_MODE": "celery"}, "TASKS_MODE"),
        ({"DEBUG": "true", "LOGIN_FAILURE_LIMIT": "0"}, "LOGIN_FAILURE_LIMIT"),
        ({"DEBUG": "true", "IMPORT_MAX_UPLOAD_BYTES": "100 MiB"}, "IMPORT_MAX_UPLOAD_BYTES"),
        ({"DEBUG": "true", "IMPORT_MAX_UPLOAD_BYTES": "lots"}, "IMPORT_MAX_UPLOAD_BYTES"),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(environ, variable):
    result = start(**environ)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"Environment variable {variable}:" in result.stderr


def test_production_like_environment_starts():
    result = start(DEBUG="false", SECRET_KEY=GOOD_SECRET, ALLOWED_HOSTS="patentbridge.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_embedded_defaults_need_nothing_but_debug():
    result = start(DEBUG="true")
    assert result.returncode == 0, result.stderr


class TestEnvParsing:
    def test_booleans(self):
        env = Env({"A": "Yes", "B": "0", "C": " "})
        assert env.bool("A", False) is True
        assert env.bool("B", True) is False
        assert env.bool("C", True) is True  # blank means "not set"

    def test_list_trims_items(self):
        assert Env({"H": "a.com, b.com"}).list("H", []) == ["a.com", "b.com"]

    def test_int_rejects_text_with_the_name(self):
        with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT: expected a whole number, got 'x'"):
            Env({"EMAIL_PORT": "x"}).int("EMAIL_PORT", 25)

    def test_database_url_parses_postgres(self):
        config = Env({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test"}).database("DATABASE_URL", Path("x"))
        assert config["ENGINE"] == "django.db.backends.postgresql"
        assert config["NAME"] == "test"
        assert config["HOST"] == "127.0.0.1"

    def test_database_defaults_to_sqlite_under_var(self, tmp_path):
        config = Env({}).database("DATABASE_URL", tmp_path / "db.sqlite3")
        assert config["ENGINE"] == "django.db.backends.sqlite3"
        assert config["NAME"] == str(tmp_path / "db.sqlite3")

    def test_postgres_url_without_database_name(self):
        with pytest.raises(ImproperlyConfigured, match="DATABASE_URL: .*names no database"):
            Env({"DATABASE_URL": "postgres://127.0.0.1:5432"}).database("DATABASE_URL", Path("x"))

    def test_int_upper_bound_names_the_variable(self):
        with pytest.raises(ImproperlyConfigured, match="IMPORT_XLSX_MAX_PARTS: must be at most 1000, got 5000"):
            Env({"IMPORT_XLSX_MAX_PARTS": "5000"}).int("IMPORT_XLSX_MAX_PARTS", 1000, minimum=1, maximum=1000)


@pytest.mark.parametrize("variable, value", [
    ("IMPORT_XLSX_MAX_PART_BYTES", "1 GiB"),  # may be lowered, never raised past the bounded default
    ("IMPORT_XLSX_MAX_RATIO", "1000"),
    ("IMPORT_XLSX_MAX_SHARED_STRINGS", "many"),
])
def test_workbook_limits_come_from_the_environment_strictly(variable, value):
    result = start(DEBUG="true", **{variable: value})
    assert result.returncode != 0
    assert f"Environment variable {variable}" in result.stderr


def test_a_lowered_workbook_limit_reaches_the_import_checks():
    environ = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "marketplace.settings", "DEBUG": "true",
               "IMPORT_XLSX_MAX_PART_BYTES": "2 MiB"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from listings import import_safety; "
                               "print(import_safety.MAX_PART)"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(str(2 * 1024 ** 2))

