from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from aegis.config import Environment, Settings
from aegis.privacy.master_key import MasterKeyError, load_master_key


def test_production_refuses_to_start_without_a_master_key(tmp_path: Path) -> None:
    settings = Settings(env=Environment.PRODUCTION, data_dir=tmp_path, master_key=None)
    with pytest.raises(MasterKeyError, match="refusing to start"):
        load_master_key(settings)
    assert not (tmp_path / "master.key").exists()


def test_development_makes_and_keeps_a_private_key(tmp_path: Path) -> None:
    settings = Settings(env=Environment.DEVELOPMENT, data_dir=tmp_path, master_key=None)
    first = load_master_key(settings)
    assert len(first) == 32
    mode = stat.S_IMODE(os.stat(tmp_path / "master.key").st_mode)
    assert mode == 0o600
    assert load_master_key(settings) == first


@pytest.mark.parametrize("encode", [lambda k: base64.b64encode(k).decode(), lambda k: k.hex()])
def test_key_from_environment_or_file(tmp_path: Path, encode) -> None:  # type: ignore[no-untyped-def]
    key = os.urandom(32)
    assert load_master_key(Settings(env=Environment.PRODUCTION, master_key=encode(key))) == key
    path = tmp_path / "mk"
    path.write_text(encode(key) + "\n")
    assert load_master_key(Settings(env=Environment.PRODUCTION, master_key_file=path)) == key


@pytest.mark.parametrize("bad", ["short", base64.b64encode(b"x" * 16).decode(), "zz" * 32])
def test_bad_master_keys_are_refused(bad: str) -> None:
    with pytest.raises(MasterKeyError):
        load_master_key(Settings(env=Environment.PRODUCTION, master_key=bad))


def test_serve_refuses_in_production_without_key(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "AEGIS_ENV": "production", "AEGIS_DATA_DIR": str(tmp_path)}
    env.pop("AEGIS_MASTER_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "aegis.cli.main", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "refusing to start" in result.stderr
