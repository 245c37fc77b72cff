"""Strict parsing of settings from environment variables.

Every reader takes the variable's name so that a bad value stops start-up with a
message naming the variable and saying what was expected.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Env:
    """Reads typed values from a mapping (``os.environ`` by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def _raw(self, name: str) -> str | None:
        value = self.environ.get(name)
        if value is None:
            return None
        value = value.strip()
        return value or None

    @staticmethod
    def error(name: str, message: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"Environment variable {name}: {message}")

    def str(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self._raw(name)
        if value is None:
            if required:
                raise self.error(name, "is required but not set.")
            return default
        return value

    def bool(self, name: str, default: bool) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise self.error(name, f"expected one of true/false/1/0/yes/no/on/off, got {value!r}.")

    def int(self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        value = self._raw(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise self.error(name, f"expected a whole number, got {value!r}.") from None
        if minimum is not None and number < minimum:
            raise self.error(name, f"must be at least {minimum}, got {number}.")
        if maximum is not None and number > maximum:
            raise self.error(name, f"must be at most {maximum}, got {number}.")
        return number

    RATE_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}

    def rate(self, name: str, default: str) -> tuple[int, int]:
        """``"5/hour"`` → ``(5, 3600)``: at most N per second, minute, hour or day (N ≥ 1)."""
        value = self._raw(name) or default
        count, _, period = value.partition("/")
        if (not count.strip().isascii() or not count.strip().isdigit() or int(count) < 1
                or period.strip().lower() not in self.RATE_PERIODS):
            raise self.error(
                name, f"expected N/period with N at least 1 and period one of {', '.join(self.RATE_PERIODS)} "
                      f"(e.g. 5/hour), got {value!r}."
            )
        return int(count), self.RATE_PERIODS[period.strip().lower()]

    def list(self, name: str, default: list[str]) -> list[str]:
        value = self._raw(name)
        if value is None:
            return list(default)
        items = [item.strip() for item in value.split(",")]
        if any(not item for item in items):
            raise self.error(name, f"expected a comma-separated list without empty items, got {value!r}.")
        return items

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self._raw(name)
        if value is None:
            return default
        if value not in choices:
            raise self.error(name, f"expected one of {', '.join(choices)}, got {value!r}.")
        return value

    _SIZE_UNITS = {"": 1, "B": 1, "KIB": 1024, "MIB": 1024 ** 2, "GIB": 1024 ** 3, "KB": 1000, "MB": 1000 ** 2,
                   "GB": 1000 ** 3}

    def size(self, name: str, default: int, *, minimum: int = 1, maximum: int | None = None) -> int:
        """A size in bytes: ``10485760``, ``10 MiB``, ``512KiB``, ``10 MB`` (units B, KiB, MiB, GiB, KB, MB, GB,
        case-insensitive). Anything else (``10M``, ``1.5 MiB``, ``-1``, ``ten``) stops start-up."""
        import re

        value = self._raw(name)
        if value is None:
            return default
        match = re.fullmatch(r"([0-9]+)\s*([A-Za-z]*)", value)
        unit = match.group(2).upper() if match else None
        if match is None or unit not in self._SIZE_UNITS:
            raise self.error(
                name, f"expected a size in bytes such as 10485760 or '10 MiB' (units B, KiB, MiB, GiB, KB, MB, GB), "
                      f"got {value!r}."
            )
        number = int(match.group(1)) * self._SIZE_UNITS[unit]
        if number < minimum:
            raise self.error(name, f"must be at least {minimum} bytes, got {number}.")
        if maximum is not None and number > maximum:
            raise self.error(name, f"must be at most {maximum} bytes, got {number}.")
        return number

    def path(self, name: str, default: Path) -> Path:
        value = self._raw(name)
        return Path(value).expanduser() if value is not None else default

    def url(self, name: str, schemes: tuple[str, ...], default: str | None = None) -> str | None:
        value = self._raw(name)
        if value is None:
            return default
        parts = urlsplit(value)
        if parts.scheme not in schemes:
            raise self.error(
                name, f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}, got {value!r}."
            )
        if parts.scheme not in ("sqlite",) and not parts.hostname and not parts.path:
            raise self.error(name, f"the URL {value!r} names no host.")
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise self.error(name, f"the URL {value!r} has an invalid port.") from None
        return value

    def database(self, name: str, default_sqlite: Path) -> dict:
        import dj_database_url

        value = self.url(name, ("sqlite", "postgres", "postgresql", "pgsql"))
        if value is None:
            return {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(default_sqlite),
                # WAL: readers are not blocked by a long write (e.g. a bulk import).
                "OPTIONS": {
                    "timeout": 20,
                    "transaction_mode": "IMMEDIATE",
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                },
            }
        try:
            config = dj_database_url.parse(value, conn_max_age=60, conn_health_checks=True)
        except ValueError as exc:
            raise self.error(name, str(exc)) from None
        if config["ENGINE"] == "django.db.backends.postgresql" and not config.get("NAME"):
            raise self.error(name, f"the URL {value!r} names no database.")
        return config
