"""Re-screening runs the same in this process and on Ray (a local instance started by
the test), and a load with Ray as the batch engine opens the same hits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aegis.batch import LocalEngine, RayEngine, engine_for
from aegis.platform import Platform
from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.matching import DEFAULT_THRESHOLD
from aegis.screening.rescreen import ChunkTask, customer_entity, screen_chunk
from tests.kyc.conftest import Flow
from tests.screening.support import load, person, write_ftm
from tests.screening.test_screening_flow import _hits
from tests.support.tenants import TenantHandle

CUSTOMERS = [
    ("Sergei", "Ivanov", "1962-05-17"), ("Olga", "Petrova", "1980-02-02"),
    ("James", "Wilson", "1970-07-07"), ("Ahmed", "Al-Rashid", "1968-01-01"),
    ("Maria", "Gonzalez", "1991-09-09"), ("Li", "Wei", "1985-05-05"),
]  # fmt: skip
LISTED = [
    person("p1", "IVANOV, Sergei", birth="1962-05-17", nationality="RU"),
    person("p2", "AL RASHID, Ahmed", birth="1968", nationality="IQ"),
    person("p3", "Somebody Unrelated", birth="1944"),
]


@pytest.fixture(scope="module")
def ray_engine() -> Iterator[RayEngine]:
    ray = pytest.importorskip("ray")
    engine = RayEngine("local", num_cpus=1)
    yield engine
    ray.shutdown()


def _entity(ftm: dict[str, Any]) -> ListEntity:
    props = ftm["properties"]
    return ListEntity(
        key=str(ftm["id"]),
        type=EntityType.PERSON,
        name=props["name"][0],
        birth_dates=tuple(props.get("birthDate", ())),
    )


def _task() -> ChunkTask:
    customers = tuple(
        customer_entity(
            f"app_{i}",
            {"first_name": f, "last_name": last, "date_of_birth": dob, "nationality": "GB"},
        )
        for i, (f, last, dob) in enumerate(CUSTOMERS)
    )
    return ChunkTask(customers, tuple(_entity(p) for p in LISTED), DEFAULT_THRESHOLD)


def test_engines_agree(ray_engine: RayEngine) -> None:
    tasks = [_task(), _task()]
    local = LocalEngine().map(screen_chunk, tasks)
    remote = ray_engine.map(screen_chunk, tasks)
    assert local == remote
    assert sorted(local[0]) == [("app_0", "p1"), ("app_3", "p2")]
    assert isinstance(engine_for(None), LocalEngine)
    assert isinstance(engine_for("local"), RayEngine)


def test_a_load_rescreens_on_ray(
    flow: Flow,
    client: TestClient,
    platform: Platform,
    tenant: TenantHandle,
    tmp_path: Path,
    ray_engine: RayEngine,
) -> None:
    platform._batch = ray_engine
    ids = {}
    for i, (first, last, dob) in enumerate(CUSTOMERS):
        a = flow.create(
            level="basic",
            profile={"first_name": first, "last_name": last, "date_of_birth": dob,
                     "phone": f"+44791112{i:04d}", "email": f"c{i}@example.com",
                     "id_type": "passport", "id_number": f"20000000{i}", "id_country": "GB",
                     "nationality": "GB", "native_name": None},
        )  # fmt: skip
        ids[last] = a["id"]
    report = load(platform, write_ftm(tmp_path / "l.jsonl", LISTED))
    assert report.counts["added"] == 3
    found = {
        last: [h["entity_id"] for h in _hits(client, tenant, subject_id=i)]
        for last, i in ids.items()
    }
    assert found == {
        "Ivanov": ["p1"], "Al-Rashid": ["p2"], "Petrova": [], "Wilson": [], "Gonzalez": [], "Wei": [],
    }  # fmt: skip
