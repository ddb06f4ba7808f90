"""Settings: one validated table of configuration, read from ``DUALTRACK_*`` variables.

The table below (``SETTINGS_HELP``) feeds the README's configuration section and the CLI help,
so that documentation and code cannot drift apart (``tests/unit/test_docs.py`` checks it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dualtrack.errors import ConfigurationError

_DEV_SECRET = "dev-only-insecure-secret-change-me"  # noqa: S105 - a placeholder refused outside development


class Settings(BaseSettings):
    """Runtime configuration. Construct explicitly in tests: ``Settings(database_url=...)``."""

    model_config = SettingsConfigDict(env_prefix="DUALTRACK_", extra="ignore")

    environment: Literal["development", "production"] = Field(
        "development", description="`production` refuses placeholder secrets and insecure cookies."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/db`. "
        "Unset: a SQLite file at `<var_dir>/dualtrack.db` (WAL mode).",
    )
    var_dir: Path = Field(
        Path("var"), description="Directory for the SQLite file, caches and data."
    )
    secret_key: SecretStr = Field(
        SecretStr(_DEV_SECRET), description="Signs session cookies and CSRF tokens."
    )
    cookie_secure: bool = Field(
        True,
        description="Send the session cookie only over HTTPS (browsers treat 127.0.0.1 as secure).",
    )
    host: str = Field("127.0.0.1", description="Address `dualtrack serve` binds to.")
    port: int = Field(8000, description="Port `dualtrack serve` listens on.")
    max_body_bytes: int = Field(
        1_048_576, description="Largest request body the API accepts (larger gets 413)."
    )
    log_level: str = Field("INFO", description="Log level of the JSON logs on stderr.")
    gc_freeze_s: float = Field(
        1.0,
        ge=0,
        description="Serving processes move surviving objects out of the garbage collector's "
        "view this often (seconds; 0 leaves Python's default collector alone). See "
        "docs/architecture.md, 'Garbage collection in the server'.",
    )
    gc_full_s: float = Field(
        900.0,
        gt=0,
        description="With gc_freeze_s set: how often (seconds) a full collection still runs "
        "over everything, so cyclic garbage frozen by mistake is reclaimed.",
    )
    sqlite_checkpoint_s: float = Field(
        0.2,
        ge=0,
        description="SQLite serving processes checkpoint the write-ahead log from a background "
        "thread this often (seconds), instead of inside a request's commit; 0 leaves SQLite's "
        "automatic checkpoint in the commit path.",
    )
    fraud_lease_ttl_s: float = Field(
        15.0,
        gt=0,
        description="Fraud scoring runs in one process per database at a time: the holder "
        "renews a lease every third of this many seconds, and a holder silent for longer "
        "(crashed) can be replaced.",
    )
    fraud_follow_s: float = Field(
        2.0,
        ge=0,
        description="A server that does not hold the fraud scoring lease folds the "
        "decisions the holder stores into its own feature state every this many seconds, "
        "so that taking the lease over folds only what is new; 0 turns following off "
        "(taking over then folds the whole stored history).",
    )
    fraud_checkpoint_s: float = Field(
        600.0,
        ge=0,
        description="A server that follows the fraud scoring process saves the feature "
        "state it follows to the database at most every this many seconds (when new "
        "decisions were stored), so that a process taking the lease after the holder "
        "crashed starts from it instead of folding the whole history; 0 turns it off.",
    )
    pseudonym_key: SecretStr | None = Field(
        None, description="Key for deterministic pseudonyms (HMAC-SHA256). Never logged."
    )
    encryption_key: SecretStr | None = Field(
        None, description="Base64 AES-SIV key for reversible pseudonyms. Never logged."
    )

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment == "production":
            if self.secret_key.get_secret_value() == _DEV_SECRET:
                raise ValueError("DUALTRACK_SECRET_KEY must be set in production")
            if not self.cookie_secure:
                raise ValueError("DUALTRACK_COOKIE_SECURE cannot be false in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL in use: the configured one or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'dualtrack.db').as_posix()}"

    def require_pseudonym_key(self) -> bytes:
        """The pseudonymisation key, or a clear error (never silent plaintext)."""
        if self.pseudonym_key is None or not self.pseudonym_key.get_secret_value():
            raise ConfigurationError("DUALTRACK_PSEUDONYM_KEY is not set")
        return self.pseudonym_key.get_secret_value().encode()


def settings_help() -> list[tuple[str, str, str]]:
    """(variable, default, help) for every setting: the README table is generated from this."""
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, SecretStr):
            default = "(development placeholder)"
        rows.append((f"DUALTRACK_{name.upper()}", str(default), field.description or ""))
    return rows


__all__ = ["Settings", "settings_help"]
