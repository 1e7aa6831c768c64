"""The acceptance path on real data: load OFAC SDN 2019-01, then 2021-07. The diff is
reported; customers are re-screened against the changed entities only; hits open for
customers named like newly listed people and close for those whose entity left."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aegis.platform import Platform
from aegis.screening.entities import EntityType, ListEntity
from aegis.screening.lists import load_list
from aegis.screening.repository import ListRepository
from tests.conftest import SHARED_DATA
from tests.kyc.conftest import Flow
from tests.screening.support import load
from tests.screening.test_screening_flow import _hits, _sanctions_level
from tests.support.tenants import TenantHandle

SDN = SHARED_DATA / "sanctions"
pytestmark = pytest.mark.skipif(
    not (SDN / "ofac_sdn_2021-07" / "sdn.csv").exists(), reason="../shared/data is absent"
)
_passports = itertools.count(100000001)


def _profile(entity: ListEntity) -> dict[str, Any]:
    last, _, first = entity.name.partition(",")
    n = next(_passports)
    return {
        "first_name": first.strip() or "X", "last_name": last.strip().title(),
        "date_of_birth": "1975-03-03", "nationality": "GB", "phone": f"+4479111{n % 100000:05d}",
        "email": f"c{n}@example.com", "id_type": "passport", "id_number": f"{n}",
        "id_country": "GB",
    }  # fmt: skip


def _pick(entities: dict[str, ListEntity], keys: set[str]) -> ListEntity:
    """A listed person with a plain two-part Latin name and no birth date to contradict."""
    for key in sorted(keys, key=int):
        e = entities[key]
        last, _, first = e.name.partition(",")
        if (
            e.type is EntityType.PERSON
            and not e.birth_dates
            and first.strip().isalpha()
            and last.strip().isalpha()
        ):
            return e
    raise AssertionError("no suitable entity")


def test_sdn_2019_then_2021(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle, tmp_path: Path
) -> None:
    old = {e.key: e for e in load_list("ofac-csv", SDN / "ofac_sdn_2019-01").entities}
    new = {e.key: e for e in load_list("ofac-csv", SDN / "ofac_sdn_2021-07").entities}
    added, removed = set(new) - set(old), set(old) - set(new)
    changed = {k for k in set(old) & set(new) if old[k].content_hash() != new[k].content_hash()}

    first = load(platform, SDN / "ofac_sdn_2019-01", name="ofac-sdn", fmt="ofac-csv")
    assert first.version == 1 and first.counts["added"] == len(old)

    _sanctions_level(flow)  # customers onboarded now are screened against 2019-01
    leaving = _pick(old, removed)
    gone = flow.create(level="basic", profile=_profile(leaving))
    flow.verify_phone(gone["id"])
    assert flow.submit(gone["id"])["status"] == "in_review"
    assert [h["entity_id"] for h in _hits(client, tenant, subject_id=gone["id"])] == [leaving.key]

    arriving = _pick(new, added)
    newcomer = flow.create(level="basic", profile=_profile(arriving))
    flow.verify_phone(newcomer["id"])
    flow.submit(newcomer["id"])
    assert _hits(client, tenant, subject_id=newcomer["id"]) == []
    bystanders = []
    for first_name, last_name in (("Emily", "Clarke"), ("Oliver", "Hughes"), ("Grace", "Turner")):
        b = flow.create(level="basic", profile={**_profile(arriving), "first_name": first_name,
                                                "last_name": last_name})  # fmt: skip
        flow.verify_phone(b["id"])
        flow.submit(b["id"])
        bystanders.append(b["id"])

    second = load(platform, SDN / "ofac_sdn_2021-07", name="ofac-sdn", fmt="ofac-csv")
    assert second.version == 2 and second.previous_version == 1
    assert second.counts == {
        "added": len(added), "changed": len(changed), "removed": len(removed)
    }  # fmt: skip
    assert {e.key for e in second.removed} == removed
    with platform.db.session(write=False) as session:
        snapshot = ListRepository(session).snapshot(second.list_id, 2)
        assert snapshot is not None and snapshot.rescreen_status == "done"
        stats = snapshot.rescreen_stats
    # Only what changed was screened, against every customer.
    assert stats["entities"] == len(added) + len(changed)
    assert stats["customers"] == 2 + len(bystanders)

    [opened] = _hits(client, tenant, subject_id=newcomer["id"])
    assert opened["entity_id"] == arriving.key and opened["origin"] == "rescreen"
    [closed] = _hits(client, tenant, subject_id=gone["id"])
    assert closed["status"] == "closed" and closed["closed_reason"] == "entity_removed"
    for b in bystanders:
        assert _hits(client, tenant, subject_id=b) == []
    # Loading the same file again is no new snapshot.
    assert load(platform, SDN / "ofac_sdn_2021-07", name="ofac-sdn", fmt="ofac-csv").unchanged
