"""One typed settings object, read from `SHUTTER_*` variables and `.env`, validated at start."""

from __future__ import annotations

import base64
import re
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR_DIR = Path("var")
# An address alone (no display name): one @, no spaces, no angle brackets.
_BARE_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+")


class SettingsError(Exception):
    """Raised when the settings cannot run a service; the message says what to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SHUTTER_", env_file=".env", extra="ignore", validate_default=True
    )

    # --- where things live -------------------------------------------------------------
    var_dir: Path = Field(DEFAULT_VAR_DIR, description="Root of the embedded profile's data.")
    database_url: str = Field(
        "",
        description="SQLAlchemy async URL. Empty means the embedded SQLite file "
        "`<var_dir>/shutter.db`; scaled: postgresql+asyncpg://user@host/db.",
    )
    media_dir: Path | None = Field(
        None, description="Where media files are stored; default `<var_dir>/media`."
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public URL of the service, used in links, media URLs and OAuth.",
    )
    instance_title: str = Field("Shutter", description="Shown to clients as the title.")
    instance_description: str = Field(
        "Photos and videos from people you follow.", description="Shown to clients."
    )
    contact_email: str = Field(
        "",
        description="Admin contact published in instance info; empty publishes "
        "`postmaster@<host of SHUTTER_BASE_URL>` (the address every mail domain must accept).",
    )
    registrations: Literal["open", "approval", "closed"] = Field(
        "open",
        description="Who may sign up: `open` (anyone), `approval` (anyone, giving a reason; "
        "the account is usable once an admin approves it: `shutter accounts approve`) or "
        "`closed` (only with an invite link). An invite always lets its holder in at once.",
    )
    registrations_message: str = Field(
        "", description="Shown to clients while registrations are closed; empty: none."
    )

    # --- secrets -------------------------------------------------------------------------
    secret_key: SecretStr | None = Field(
        None,
        description="Signs web sessions and CSRF tokens. Generated and kept in "
        "`<var_dir>/secret_key` when embedded; required when on PostgreSQL.",
    )

    argon2_time_cost: int = Field(3, ge=1, description="argon2id passes per password hash.")
    argon2_memory_kib: int = Field(
        65536, ge=64, description="argon2id memory per password hash, in KiB."
    )
    token_use_interval_seconds: int = Field(
        300,
        ge=0,
        description="A token's last use (time, address, User-Agent), shown in the sessions "
        "list, is written at most once per this many seconds per token and API process; "
        "0 writes it on every request.",
    )

    # --- web push (shutter/notifications/push) --------------------------------------------
    vapid_private_key: SecretStr | None = Field(
        None,
        description="The instance's VAPID key (a P-256 private key, its 32 bytes in "
        "base64url), which signs Web Push deliveries. Generated and kept in "
        "`<var_dir>/vapid_private_key` when embedded; when scaled, set it on every process "
        "(Mastodon's VAPID_PRIVATE_KEY has the same form), else it is derived from "
        "SHUTTER_SECRET_KEY.",
    )
    vapid_public_key: str | None = Field(
        None,
        description="The public half of SHUTTER_VAPID_PRIVATE_KEY (base64url, 65 bytes), "
        "checked against it when the key is loaded; optional.",
    )
    push_allow_insecure: bool = Field(
        False,
        description="Lets push subscriptions name a receiver on this machine (http or https "
        "to localhost, 127.0.0.1 or ::1): for tests and development only. Otherwise a push "
        "endpoint must be https on a public address.",
    )
    push_timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="How long one Web Push delivery may take."
    )

    # --- mail ----------------------------------------------------------------------------
    smtp_url: SecretStr | None = Field(
        None,
        description="SMTP server of outgoing mail: smtp://user:password@host:587 (STARTTLS "
        "when the server offers it; `?starttls=true` requires it, `?starttls=false` never "
        "uses it) or smtps://user:password@host:465 (TLS). Unset: mails are written to the "
        "log at warning level instead of sent.",
    )
    mail_from: str = Field(
        "",
        description="Sender address of every mail; empty: `shutter@<host of SHUTTER_BASE_URL>`.",
    )
    require_email_confirmation: bool = Field(
        False,
        description="New accounts must follow the link mailed to their address before "
        "their token does more than verify_credentials (Mastodon's rule). Accounts that "
        "signed up while it was off count as confirmed.",
    )
    password_reset_ttl_seconds: int = Field(
        3600, ge=60, description="Lifetime of a mailed password-reset link."
    )
    email_confirmation_ttl_seconds: int = Field(
        2 * 86400,
        ge=60,
        description="Lifetime of a mailed link confirming an address (sign-up, new address).",
    )

    # --- product limits (published in /api/v2/instance) --------------------------------------
    max_caption_chars: int = Field(255, ge=1, le=5000, description="Caption length limit.")
    max_media_per_post: int = Field(6, ge=1, le=20, description="Media per post.")
    max_image_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Upload size limit.")
    max_image_pixels: int = Field(50_000_000, ge=10_000, description="Decoded pixel limit.")
    max_video_bytes: int = Field(
        200 * 1024 * 1024, ge=1024, description="Upload size limit of videos and GIFs."
    )
    max_video_seconds: float = Field(90, gt=0, description="Video (and GIF) duration limit.")
    max_video_pixels: int = Field(
        3840 * 2160, ge=10_000, description="Video frame size limit (output is ≤ 1080p)."
    )
    max_video_frame_rate: float = Field(120, gt=0, description="Video frame rate limit.")
    media_ffmpeg_threads: int = Field(2, ge=1, description="Threads of one ffmpeg run.")
    media_ffmpeg_timeout_seconds: float = Field(
        300, gt=0, description="Wall-clock limit of one ffmpeg run (a transcode)."
    )
    media_ffmpeg_memory_mb: int = Field(
        2048, ge=256, description="Address-space limit of one ffmpeg/ffprobe process, in MB."
    )
    max_media_description_chars: int = Field(
        1500, ge=1, description="Alt text (media description) length limit."
    )
    upload_quota_bytes: int = Field(
        0,
        ge=0,
        description="Most bytes of uploaded originals one account may have stored (its "
        "posts' media and its uploads not yet posted); an upload past it is refused with "
        "422. 0: no quota.",
    )
    media_processing_concurrency: int = Field(
        2,
        ge=1,
        description="Media processed at once per process (photos decoded, ffmpeg runs); each "
        "may hold tens of MB, and libvips and ffmpeg already use several cores for one.",
    )
    max_bio_chars: int = Field(150, ge=1, description="Profile bio length limit.")
    max_display_name_chars: int = Field(30, ge=1, description="Display name length limit.")
    idempotency_ttl_seconds: int = Field(3600, ge=1, description="Idempotency-Key lifetime.")
    max_request_body_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest request body, answered 413 before it is read whole. Media "
        "uploads may be as large as SHUTTER_MAX_VIDEO_BYTES and profile updates as two "
        "SHUTTER_MAX_IMAGE_BYTES (avatar and header), plus this much for their other fields.",
    )

    # --- feeds ---------------------------------------------------------------------------
    feed_max_entries: int = Field(800, ge=20, description="Entries kept per home feed.")
    fanout_batch_size: int = Field(1000, ge=1, description="Followers per fan-out job batch.")
    fanout_follower_threshold: int = Field(
        10_000,
        ge=0,
        description="Accounts with more followers are not fanned out: their recent posts are "
        "merged into their followers' home feeds when read (hybrid fan-out).",
    )
    feed_inactive_days: int = Field(
        30,
        ge=1,
        description="Redis feeds: a feed unread this long expires and fan-out skips it; it "
        "is rebuilt from the database when its owner reads it again.",
    )
    trends_window_days: int = Field(
        7,
        ge=1,
        le=90,
        description="Explore ranks the public posts, and trending hashtags the tags, of this "
        "many recent days.",
    )

    cache_max_entries: int = Field(
        20_000,
        ge=0,
        description="Rendered posts and accounts kept in the in-process entity cache (in "
        "front of Redis when SHUTTER_REDIS_URL is set).",
    )
    cache_ttl_seconds: int = Field(
        86_400,
        ge=1,
        description="Lifetime of an entity in the Redis cache (entries are versioned, so "
        "this only bounds memory; a changed entity gets a new key at once).",
    )

    # --- scaled profile ---------------------------------------------------------------------
    redis_url: str = Field(
        "",
        description="redis://host:port/db, or redis+cluster://host:port (a node of a Redis "
        "Cluster). Empty (embedded): feeds, cache, rate limits and events stay in-process. "
        "Set: shared by every API and worker process.",
    )

    redis_prefix: str = Field(
        "shutter", min_length=1, description="Prefix of every Redis key and channel."
    )
    feed_redis_url: str = Field(
        "",
        description="Redis of the home feeds when they should live apart; empty: "
        "SHUTTER_REDIS_URL. Either may be `redis+cluster://host:port` (feed keys are "
        "hash-tagged per account, so each feed lives on one slot).",
    )

    # --- databases -----------------------------------------------------------------------
    database_replica_urls: str = Field(
        "",
        description="Comma-separated postgresql+asyncpg:// URLs of read replicas. API reads "
        "go to them in turn; a client that wrote reads from the primary for "
        "SHUTTER_REPLICA_STICKY_SECONDS; jobs always use the primary.",
    )
    replica_sticky_seconds: float = Field(
        5,
        ge=0,
        description="After a client's write, how long its reads stay on the primary (longer "
        "than the replicas' usual lag).",
    )
    database_retry_after_seconds: int = Field(
        5, ge=1, description="Retry-After of the 503 answered while the database is unreachable."
    )

    # --- rate limits (per account, or per client IP when anonymous) ----------------------
    rate_limit_requests: int = Field(50, ge=1, description="Requests per window per caller.")
    rate_limit_window_seconds: int = Field(60, ge=1, description="Length of the window.")
    rate_limit_login_requests: int = Field(
        10,
        ge=1,
        description="Log-in, token and password-reset requests per window, per IP; password "
        "log-ins (and current-password checks) also per account tried.",
    )
    rate_limit_signup_requests: int = Field(
        25,
        ge=1,
        description="Sign-ups per sign-up window per IP (Mastodon's 25 per 5 minutes: a "
        "household or an office behind one address can join together).",
    )
    rate_limit_signup_window_seconds: int = Field(300, ge=1, description="Sign-up window.")
    rate_limit_mail_requests: int = Field(
        5,
        ge=1,
        description="Mails one may ask for per mail window: password resets per address, "
        "confirmation resends and address changes per account.",
    )
    rate_limit_mail_window_seconds: int = Field(1800, ge=1, description="Mail window.")
    rate_limit_upload_requests: int = Field(
        30, ge=1, description="Media uploads per upload window per account."
    )
    rate_limit_upload_window_seconds: int = Field(1800, ge=1, description="Upload window.")
    rate_limit_two_factor_requests: int = Field(
        5,
        ge=1,
        description="Two-factor codes (or recovery codes) tried per two-factor window, per "
        "account.",
    )
    rate_limit_two_factor_ip_requests: int = Field(
        25,
        ge=1,
        description="Two-factor codes tried per two-factor window, per IP (a household "
        "behind one address can log in together).",
    )
    rate_limit_two_factor_window_seconds: int = Field(300, ge=1, description="Two-factor window.")

    # --- media storage -------------------------------------------------------------------
    storage: Literal["local", "s3"] = Field(
        "local",
        description="Where media files live: `local` (the media directory, served by the "
        "app) or `s3` (an S3-compatible bucket; set the SHUTTER_S3_* settings).",
    )
    s3_endpoint_url: str = Field(
        "",
        description="S3 API endpoint, e.g. http://minio:9000 or "
        "https://<account>.r2.cloudflarestorage.com; empty means AWS S3.",
    )
    s3_bucket: str = Field("", description="Bucket holding every media file (storage `s3`).")
    s3_region: str = Field("us-east-1", min_length=1, description="Region of the bucket.")
    s3_access_key_id: SecretStr | None = Field(
        None,
        description="Access key id; unset means boto3's own chain (IAM role, IRSA, "
        "AWS_* variables, profile).",
    )
    s3_secret_access_key: SecretStr | None = Field(
        None, description="Secret access key paired with SHUTTER_S3_ACCESS_KEY_ID."
    )
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        "auto",
        description="Bucket in the path (MinIO, most self-hosted servers) or in the host "
        "name (AWS); `auto` lets boto3 choose.",
    )
    media_public_url: str = Field(
        "",
        description="Base URL public media (`v/…`, `a/…`) are read from, e.g. a CDN in "
        "front of the bucket; media URLs are `<this>/<key>`. Empty: `<base_url>/media`, "
        "answered by the app (from disk, or with a redirect to a presigned S3 URL).",
    )
    media_presign_ttl_seconds: int = Field(
        3600,
        ge=60,
        le=7 * 24 * 3600,
        description="Lifetime of the presigned S3 URLs the app redirects media reads to "
        "when no SHUTTER_MEDIA_PUBLIC_URL is set.",
    )
    media_unattached_hours: float = Field(
        24,
        gt=0,
        description="Uploads never attached to a post, and stored files no record refers "
        "to, are removed after this many hours.",
    )
    media_purge_interval_seconds: int = Field(
        3600, ge=1, description="How often unattached uploads are looked for and removed."
    )
    media_sweep_interval_seconds: int = Field(
        86400,
        ge=1,
        description="How often the whole media store is listed for orphaned files (costs "
        "one list request per 1,000 stored files).",
    )
    periodic_check_seconds: float = Field(
        30,
        gt=0,
        description="How often each job worker checks for due periodic jobs (each runs at "
        "most once per its interval across all workers).",
    )

    # --- jobs ----------------------------------------------------------------------------
    embedded_workers: int = Field(
        1, ge=0, description="In-process job workers per API process (0: only `shutter worker`)."
    )
    job_max_attempts: int = Field(8, ge=1, description="Tries before a job is dead-lettered.")
    job_lease_seconds: int = Field(
        60, ge=1, description="A claimed job not finished in this time is taken again."
    )
    job_poll_seconds: float = Field(0.5, gt=0, description="Idle poll interval of workers.")

    # --- server --------------------------------------------------------------------------
    log_level: str = Field("info", description="debug, info, warning or error.")
    log_json: bool = Field(False, description="JSON log lines (for log shippers).")

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("contact_email")
    @classmethod
    def _an_address(cls, value: str) -> str:
        # Clients read it as an email address (the instance entity's format says so).
        if value and (value.count("@") != 1 or value.startswith("@") or value.endswith("@")):
            raise ValueError("must be an email address such as admin@example.com")
        return value

    @field_validator("mail_from")
    @classmethod
    def _a_sender(cls, value: str) -> str:
        if value and not _BARE_ADDRESS.fullmatch(value):
            raise ValueError("must be a bare address such as shutter@example.com")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        # Here, not at the top: the mail module builds on these settings.
        from shutter.infra.mail import parse_smtp_url

        parse_smtp_url(value.get_secret_value())  # its ValueError says what is wrong
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "use sqlite+aiosqlite:///path/to/file.db or postgresql+asyncpg://user@host/db"
            )
        return value

    @field_validator("database_replica_urls")
    @classmethod
    def _replicas_are_postgres(cls, value: str) -> str:
        for url in (u.strip() for u in value.split(",") if u.strip()):
            if not url.startswith("postgresql+asyncpg://"):
                raise ValueError("replicas must be postgresql+asyncpg://user@host/db URLs")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in {"debug", "info", "warning", "error"}:
            raise ValueError("must be debug, info, warning or error")
        return value.lower()

    @model_validator(mode="after")
    def _secret_required_when_scaled(self) -> Settings:
        if self.is_postgres and self.secret_key is None:
            raise ValueError(
                "SHUTTER_SECRET_KEY must be set when SHUTTER_DATABASE_URL is PostgreSQL "
                "(every API instance needs the same key)"
            )
        return self

    @field_validator("vapid_private_key")
    @classmethod
    def _vapid_private_key(cls, value: SecretStr | None) -> SecretStr | None:
        # The point's validity is checked when the key is loaded (notifications/webpush.py).
        if value is None:
            return value
        text = value.get_secret_value().strip().rstrip("=")
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except ValueError:
            raw = b""
        if len(raw) != 32 or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
            raise ValueError("must be a P-256 private key: 32 bytes in base64url")
        return value

    @field_validator("media_public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _bucket_matches_storage(self) -> Settings:
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("SHUTTER_S3_BUCKET must be set when SHUTTER_STORAGE is s3")
        if self.storage == "local" and self.s3_bucket:
            raise ValueError(
                "SHUTTER_S3_BUCKET is set but SHUTTER_STORAGE is local: set "
                "SHUTTER_STORAGE=s3 to store media in the bucket, or unset the bucket"
            )
        return self

    @model_validator(mode="after")
    def _replicas_need_postgres(self) -> Settings:
        if self.replica_urls and not self.is_postgres:
            raise ValueError(
                "SHUTTER_DATABASE_REPLICA_URLS needs a PostgreSQL SHUTTER_DATABASE_URL"
            )
        return self

    @property
    def replica_urls(self) -> list[str]:
        return [u.strip() for u in self.database_replica_urls.split(",") if u.strip()]

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_dir / 'shutter.db'}"

    @property
    def is_postgres(self) -> bool:
        return self.resolved_database_url.startswith("postgresql")

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir or self.var_dir / "media"

    @cached_property
    def secret(self) -> str:
        """The secret key, generated once and kept under var_dir when embedded."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.var_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, or a SettingsError naming every bad field."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [
            f"  SHUTTER_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            if err["loc"]
            else f"  {err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        ]
        raise SettingsError("Invalid settings:\n" + "\n".join(lines)) from None
