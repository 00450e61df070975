"""The settings record: every knob authserver has, and the error a bad value raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from authserver.settings.sender_values import SmtpTarget, WebhookSecret

ENV_PREFIX = "AUTHSERVER_"


class SettingsError(Exception):
    """A setting has a bad value; ``str(err)`` is one line meant for the operator."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{ENV_PREFIX}{name}: {problem}")
        self.name = name
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Settings:
    """Every knob authserver has. Durations are whole seconds."""

    env: str = "development"
    instance_path: Path = Path("instance")
    database_url: str = ""
    public_url: str = "http://127.0.0.1:8000"
    bind: str = "127.0.0.1:8000"  # where `authserver serve` listens; not PUBLIC_URL
    redis_url: str | None = None
    master_key: bytes | None = field(default=None, repr=False)
    master_key_file: Path | None = None
    access_token_ttl: int = 600
    id_token_ttl: int = 600
    auth_code_ttl: int = 60
    refresh_token_idle_ttl: int = 7 * 86400
    refresh_token_absolute_ttl: int = 30 * 86400
    session_idle_ttl: int = 30 * 60
    session_absolute_ttl: int = 12 * 3600
    jwks_max_age: int = 300
    key_publish_lead: int = 600
    key_cache_ttl: int = 30
    client_cache_ttl: int = 30
    client_assertion_max_lifetime: int = 3600
    # Seconds between the outbox worker's rounds in each server process (back-channel
    # logout, mail); 0: none in the server, `authserver worker` runs it instead.
    outbox_poll: int = 1
    log_level: str = "INFO"
    # Where each process spools the audit records of requests that touch no database
    # (client credentials, refused token requests) until the worker ships them
    # (docs/audit.md, "The spool"). None: INSTANCE_PATH/audit-spool. Local disk, one
    # per host; not shared between hosts.
    audit_spool_dir: Path | None = None
    # The built-in access groups (docs/apis-and-access-groups.md); None: the shipped
    # example (POS, Instore, Admin).
    access_group_catalogue: Path | None = None
    # Development and tests only: fetch jwks_uri key sets from loopback/private addresses.
    jwks_uri_allow_private: bool = False
    # How many reverse proxies in front of authserver append to X-Forwarded-For; the
    # client's address (for throttling) is the entry that many hops from the right.
    trusted_proxies: int = 0
    # argon2id cost of every password hash (docs/sign-in/passwords.md): OWASP's
    # m=19 MiB, t=2, p=1, which measured the most defence per CPU-second here.
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    # Message senders (services/senders/). None = not chosen: console in development,
    # smtp/webhook when only their URL is set, nothing in production.
    email_sender: str | None = None
    smtp_url: SmtpTarget | None = None  # its password is kept out of repr
    email_from: str | None = None
    sms_sender: str | None = None
    sms_webhook_url: str | None = None
    sms_webhook_secret: WebhookSecret | None = None  # its key is kept out of repr
    # The tenant whose administrators (admin-API tokens it issued) may administer every
    # tenant; None: each tenant's tokens administer only that tenant (docs/admin-api.md).
    admin_operator_tenant: str | None = None

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def max_signed_token_ttl(self) -> int:
        """How long a retired key must stay in JWKS: the longest-lived JWT we sign."""
        return max(self.access_token_ttl, self.id_token_ttl)

    @property
    def audit_spool_path(self) -> Path:
        return self.audit_spool_dir or self.instance_path / "audit-spool"

    def issuer_for(self, tenant_slug: str) -> str:
        return f"{self.public_url}/t/{tenant_slug}"
