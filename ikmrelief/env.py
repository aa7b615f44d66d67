"""Strict readers for environment variables.

Every setting the product reads from the environment goes through one of these, so a
typo (``DJANGO_DEBUG=ya``, ``DATABASE_URL=mysql://…``) stops start-up with one line that
names the variable, instead of a half-configured server or a traceback wall.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlsplit

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured


class EnvError(ImproperlyConfigured):
    """A variable is set to a value the product cannot use."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise EnvError(f"{name} harus diisi (required environment variable is not set)")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise EnvError(f"{name}={raw!r} bukan nilai boolean (use one of: 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise EnvError(f"{name}={raw!r} bukan bilangan bulat (expected a whole number)") from None
    if minimum is not None and value < minimum:
        raise EnvError(f"{name}={value} terlalu kecil (minimum {minimum})")
    if maximum is not None and value > maximum:
        raise EnvError(f"{name}={value} terlalu besar (maximum {maximum})")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    raw = os.environ.get(name, default).strip()
    if raw not in choices:
        raise EnvError(f"{name}={raw!r} tidak dikenal (expected one of: {', '.join(sorted(choices))})")
    return raw


def parse_database_url(name: str, url: str) -> dict:
    """``postgresql://user:pass@host:port/db?sslmode=require`` → Django DATABASES entry.

    A Unix socket is given as ``postgresql://user@/db?host=/path/to/dir`` (what embedded
    PostgreSQL hands out). PostgreSQL is the only database the product supports.
    """
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise EnvError(
            f"{name}={url!r} tidak didukung: hanya PostgreSQL (expected postgresql://user:password@host:port/dbname)"
        )
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname:
        raise EnvError(f"{name}={url!r} tidak menyebut nama basis data (missing /dbname)")
    try:
        port = parts.port
    except ValueError:
        raise EnvError(f"{name}={url!r} memuat port yang tidak valid") from None
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    host = options.pop("host", None) or unquote(parts.hostname or "")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": dbname,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": host,
        "PORT": str(port or ""),
        "OPTIONS": options,
    }


def env_crontab(name: str, default: str):
    """A five-field cron line ("0 1 * * *") as a Celery crontab; a bad line stops start-up."""
    raw = os.environ.get(name, default).strip()
    fields = raw.split()
    if len(fields) != 5:
        raise EnvError(f"{name}={raw!r} harus lima kolom cron (expected 'minute hour day month weekday')")
    try:
        return crontab(*fields[:2], day_of_month=fields[2], month_of_year=fields[3], day_of_week=fields[4])
    except Exception as exc:
        raise EnvError(f"{name}={raw!r} bukan jadwal cron yang valid: {exc}") from None


def email_settings(name: str, url: str) -> dict:
    """``EMAIL_URL`` → Django's EMAIL_* settings.

    ``console://`` (the default: mail is printed by the process that sends it) or
    ``smtp://user:password@host:587?tls=1`` / ``smtps://…:465`` for a real server.
    """
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend", "EMAIL_HOST": "localhost",
                "EMAIL_PORT": 25, "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": "", "EMAIL_USE_SSL": False,
                "EMAIL_USE_TLS": False, "EMAIL_TIMEOUT": 10}
    if parts.scheme not in {"smtp", "smtps"}:
        raise EnvError(f"{name}={url!r} tidak didukung (expected console:// or smtp://user:password@host:port)")
    try:
        port = parts.port
    except ValueError:
        raise EnvError(f"{name}={url!r} memuat port yang tidak valid") from None
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": unquote(parts.hostname or ""),
        "EMAIL_PORT": port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_SSL": parts.scheme == "smtps",
        "EMAIL_USE_TLS": options.get("tls") in {"1", "true", "ya"},
        "EMAIL_TIMEOUT": 10,
    }


def check_redis_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise EnvError(f"{name}={url!r} tidak didukung (expected redis://host:port/db or unix:///path/redis.sock)")
    if parts.scheme == "unix" and not parts.path:
        raise EnvError(f"{name}={url!r} tidak menyebut path soket")
    return url


def celery_broker_url(redis_url: str) -> str:
    """Kombu spells a Unix-socket Redis ``redis+socket://``; redis-py spells it ``unix://``."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://"):]
    return redis_url
