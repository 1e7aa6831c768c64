"""Where the master key comes from, and the refusal to run production without one."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path

import structlog

from aegis.config import Environment, Settings

log = structlog.get_logger(__name__)


class MasterKeyError(RuntimeError):
    """No usable master key; the service must not start."""


def _decode(raw: str) -> bytes:
    raw = raw.strip()
    try:
        key = bytes.fromhex(raw) if len(raw) == 64 else base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MasterKeyError("master key is neither 64 hex digits nor base64") from exc
    if len(key) != 32:
        raise MasterKeyError("master key must be 32 bytes (AES-256)")
    return key


def generate_master_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def load_master_key(settings: Settings) -> bytes:
    if settings.master_key is not None:
        return _decode(settings.master_key.get_secret_value())
    if settings.master_key_file is not None:
        try:
            return _decode(settings.master_key_file.read_text())
        except OSError as exc:
            raise MasterKeyError(f"cannot read master key file: {exc.strerror}") from exc
    if settings.env is Environment.PRODUCTION:
        raise MasterKeyError(
            "production mode needs AEGIS_MASTER_KEY or AEGIS_MASTER_KEY_FILE; refusing to start"
        )
    path = settings.data_dir / "master.key"
    if not path.exists():
        _write_private(path, generate_master_key())
        log.warning(
            "dev_master_key_created", path=str(path), hint="set AEGIS_MASTER_KEY in production"
        )
    else:
        log.warning("dev_master_key_in_use", path=str(path))
    return _decode(path.read_text())


def _write_private(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(content)
