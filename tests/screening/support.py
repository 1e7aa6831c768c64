"""Screening test helpers: small FollowTheMoney list files written by the tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aegis.platform import Platform
from aegis.screening.lists import load_list
from aegis.screening.snapshots import SnapshotReport, SnapshotService


def person(
    entity_id: str,
    name: str,
    *,
    aliases: tuple[str, ...] = (),
    birth: str | None = None,
    nationality: str | None = None,
    topics: tuple[str, ...] = ("sanction",),
) -> dict[str, Any]:
    props: dict[str, list[str]] = {"name": [name], "topics": list(topics)}
    if aliases:
        props["alias"] = list(aliases)
    if birth:
        props["birthDate"] = [birth]
    if nationality:
        props["nationality"] = [nationality.lower()]
    return {"id": entity_id, "schema": "Person", "properties": props, "target": True}


def company(entity_id: str, name: str, country: str | None = None) -> dict[str, Any]:
    props: dict[str, list[str]] = {"name": [name], "topics": ["sanction"]}
    if country:
        props["country"] = [country.lower()]
    return {"id": entity_id, "schema": "Company", "properties": props, "target": True}


def write_ftm(path: Path, entities: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities))
    return path


def load(
    platform: Platform, path: Path, *, name: str = "watch", fmt: str = "ftm"
) -> SnapshotReport:
    loaded = load_list(fmt, path)
    with platform.db.session() as session:
        return SnapshotService(platform.audit).load(session, loaded, name=name, actor="cli:test")
