"""Screening over the API: ad hoc, at onboarding, hit review with memory, blocking, and
re-screening when the list changes (entities added, changed and removed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from aegis.platform import Platform
from aegis.webhooks import verify_signature
from tests.kyc.conftest import Flow, Receiver
from tests.screening.support import company, load, person, write_ftm
from tests.support.tenants import Probe, TenantHandle, assert_tenant_isolation

IVANOV = person(
    "ru-ivanov", "Sergei Petrovich IVANOV", aliases=("Сергей Петрович Иванов",),
    birth="1962-05-17", nationality="RU",
)  # fmt: skip
ZHANG = person("cn-zhang", "ZHANG San", aliases=("张三",), birth="1990-01-01", nationality="CN")
ACME = company("acme", "Acme Shipping Holdings Ltd", country="AE")


class Hooks:
    """Receives every screening webhook and checks its signature."""

    def __init__(self) -> None:
        self.secret = ""
        self.events: list[dict[str, Any]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        verify_signature(request.content, request.headers["Aegis-Signature"], self.secret)
        self.events.append(json.loads(request.content))
        return httpx.Response(200)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e["data"] for e in self.events if e["type"] == kind]


def _sanctions_level(flow: Flow) -> None:
    """The tenant's `basic` level, screened against the lists."""
    h = flow.tenant.headers
    current = flow.client.get("/v1/verification-levels/basic", headers=h).json()
    policy = {k: v for k, v in current.items() if k != "version"}
    policy["checks"] = [*policy["checks"], "sanctions"]
    policy["steps"] = [*policy["steps"], "sanctions"]
    r = flow.client.post("/v1/verification-levels", headers=h, json=policy)
    assert r.status_code == 201, r.text


def _hits(client: TestClient, tenant: TenantHandle, **params: str) -> list[dict[str, Any]]:
    r = client.get("/v1/screening/hits", headers=tenant.headers, params=params)
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def _decide(client: TestClient, tenant: TenantHandle, hit_id: str, decision: str) -> httpx.Response:
    return client.post(
        f"/v1/screening/hits/{hit_id}/decision",
        headers=tenant.headers,
        json={"decision": decision, "reason": "compared birth date and photo"},
    )


def test_adhoc_screening_explains_its_hits(
    client: TestClient, platform: Platform, tenant: TenantHandle, tmp_path: Path
) -> None:
    h = tenant.headers
    assert client.post("/v1/screenings", headers=h, json={"name": "Anyone"}).json() == {
        "hits": [], "lists": [], "threshold": client.post(
            "/v1/screenings", headers=h, json={"name": "Anyone"}).json()["threshold"],
    }  # fmt: skip
    load(platform, write_ftm(tmp_path / "l.jsonl", [IVANOV, ZHANG, ACME]))
    for name in ("Sergei Ivanov", "IVANOV, Sergei Petrovich", "Sergey Petrovich Ivanoff",
                 "Сергей Иванов"):  # fmt: skip
        r = client.post("/v1/screenings", headers=h, json={"name": name})
        assert r.status_code == 200, r.text
        hits = r.json()["hits"]
        assert [x["entity_id"] for x in hits][:1] == ["ru-ivanov"], name
        top = hits[0]
        assert top["list"] == "watch" and top["name"] == "Sergei Petrovich IVANOV"
        assert top["features"] and all(
            {"value", "weight", "contribution", "detail"} <= set(f)
            for f in top["features"].values()
        )
    body = {"name": "ACME Shipping Holdings LLC", "type": "organization"}
    assert (
        client.post("/v1/screenings", headers=h, json=body).json()["hits"][0]["entity_id"] == "acme"
    )
    for name in ("John Smith", "Maria Garcia", "Wei Zhang"):
        assert client.post("/v1/screenings", headers=h, json={"name": name}).json()["hits"] == []
    # Contradicting evidence lowers the score.
    same = client.post(
        "/v1/screenings", headers=h, json={"name": "Sergei Ivanov", "birth_date": "1962-05-17"}
    ).json()
    other = client.post(
        "/v1/screenings", headers=h, json={"name": "Sergei Ivanov", "birth_date": "2001-01-30"}
    ).json()
    assert not other["hits"] or other["hits"][0]["score"] < same["hits"][0]["score"]


def test_adhoc_bad_input_is_a_clear_422(client: TestClient, tenant: TenantHandle) -> None:
    h = tenant.headers
    cases = [
        ({}, "/name"),
        ({"name": ""}, "/name"),
        ({"name": "x", "birth_date": "17/05/1962"}, "/birth_date"),
        ({"name": "x", "countries": ["Russia"]}, "/countries/0"),
        ({"name": "x", "type": "dog"}, "/type"),
        ({"name": "x", "threshold": 2}, "/threshold"),
        ({"name": "x", "lists": ["not-loaded"]}, "/lists/0"),
        ({"name": "x", "surprise": 1}, "/surprise"),
    ]
    for body, pointer in cases:
        r = client.post("/v1/screenings", headers=h, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert any(e["pointer"].endswith(pointer) for e in r.json()["errors"]), (body, r.json())


def test_onboarding_review_memory_and_blocking(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle, tmp_path: Path,
    receiver: Receiver,
) -> None:  # fmt: skip
    hooks = Hooks()
    platform.webhook_transport = httpx.MockTransport(
        lambda req: (hooks if req.url.path == "/screening" else receiver).handler(req)
    )
    r = client.post(
        "/v1/webhook-endpoints",
        headers=tenant.headers,
        json={"url": "https://partner.example/screening", "event_types": ["screening.*"]},
    )
    hooks.secret = r.json()["secret"]
    _sanctions_level(flow)
    path = write_ftm(tmp_path / "v1.jsonl", [IVANOV, ZHANG, ACME])
    load(platform, path)

    # 1. Zhang San (the KYC fixture's name) is close to a listed person: review.
    a = flow.create(level="basic")
    flow.verify_phone(a["id"])
    assert flow.submit(a["id"])["status"] == "in_review"
    check = flow.checks(a["id"])["sanctions"]
    assert check["outcome"] == "review" and check["codes"] == ["SANCTIONS_POSSIBLE_MATCH"]
    [hit] = _hits(client, tenant, subject_id=a["id"])
    assert (
        hit["status"] == "open" and hit["entity_id"] == "cn-zhang" and hit["origin"] == "onboarding"
    )
    assert hooks.of("screening.hit_opened")[0]["hit_id"] == hit["id"]
    evidence = client.get(f"/v1/screening/hits/{hit['id']}", headers=tenant.headers).json()
    assert evidence["subject"]["native_name"] == "张三"
    assert (
        evidence["subject"]["id_number"].endswith("0010")
        and "110105" not in evidence["subject"]["id_number"]
    )
    assert (
        evidence["entity"]["name"] == "ZHANG San"
        and "1990-01-01" in evidence["entity"]["birth_dates"]
    )
    assert evidence["hit"]["features"]

    # 2. A false positive is remembered: an unrelated list change raises nothing new.
    r = _decide(client, tenant, hit["id"], "false_positive")
    assert r.status_code == 200 and r.json()["status"] == "false_positive"
    assert r.json()["reason"] == "compared birth date and photo"
    assert _decide(client, tenant, hit["id"], "true_positive").status_code == 409
    extra = person("xx-new", "Completely Different Person", birth="1950")
    report = load(platform, write_ftm(tmp_path / "v2.jsonl", [IVANOV, ZHANG, ACME, extra]))
    assert report.counts == {"added": 1, "changed": 0, "removed": 0}
    assert len(_hits(client, tenant, subject_id=a["id"])) == 1

    # 3. The entity's record changes: raised again, by the re-screening.
    changed = {**ZHANG, "properties": {**ZHANG["properties"], "alias": ["张三", "Zhang Sanfeng"]}}
    report = load(platform, write_ftm(tmp_path / "v3.jsonl", [IVANOV, changed, ACME, extra]))
    assert report.counts == {"added": 0, "changed": 1, "removed": 0}
    hits = _hits(client, tenant, subject_id=a["id"])
    fresh = [x for x in hits if x["status"] == "open"]
    assert len(hits) == 2 and len(fresh) == 1 and fresh[0]["origin"] == "rescreen"

    # 4. Confirmed: the applicant is blocked, the partner told.
    r = _decide(client, tenant, fresh[0]["id"], "true_positive")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    applicant = flow.get(a["id"])
    assert applicant["status"] == "rejected"
    assert [x["code"] for x in applicant["reasons"]] == ["SANCTIONS_MATCH"]
    [confirmed] = hooks.of("screening.hit")
    assert confirmed["subject_id"] == a["id"] and confirmed["entity_id"] == "cn-zhang"
    queue = client.get("/v1/reviews", headers=tenant.headers).json()["data"]
    assert all(x["applicant_id"] != a["id"] for x in queue)  # the review was closed


def test_removed_entities_close_their_hits(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle, tmp_path: Path
) -> None:
    _sanctions_level(flow)
    load(platform, write_ftm(tmp_path / "v1.jsonl", [IVANOV, ZHANG]))
    a = flow.create(level="basic")
    flow.verify_phone(a["id"])
    assert flow.submit(a["id"])["status"] == "in_review"
    report = load(platform, write_ftm(tmp_path / "v2.jsonl", [IVANOV]))
    assert [e.key for e in report.removed] == ["cn-zhang"]
    [hit] = _hits(client, tenant, subject_id=a["id"])
    assert hit["status"] == "closed" and hit["closed_reason"] == "entity_removed"
    assert _decide(client, tenant, hit["id"], "true_positive").status_code == 409


def test_tenant_chooses_its_lists(
    client: TestClient, platform: Platform, tenant: TenantHandle, tmp_path: Path
) -> None:
    h = tenant.headers
    load(platform, write_ftm(tmp_path / "a.jsonl", [IVANOV]), name="list-a")
    load(platform, write_ftm(tmp_path / "b.jsonl", [ACME]), name="list-b")
    r = client.patch("/v1/tenant", headers=h, json={"settings": {"screening_lists": ["list-b"]}})
    assert r.status_code == 200, r.text
    lists = {x["name"]: x for x in client.get("/v1/screening/lists", headers=h).json()}
    assert lists["list-a"]["used_by_tenant"] is False and lists["list-b"]["used_by_tenant"]
    assert lists["list-a"]["entities"] == 1 and lists["list-a"]["version"] == 1
    assert (
        client.post("/v1/screenings", headers=h, json={"name": "Sergei Ivanov"}).json()["hits"]
        == []
    )
    body = {"name": "Sergei Ivanov", "lists": ["list-a"]}
    assert client.post("/v1/screenings", headers=h, json=body).status_code == 422
    bad = client.patch(
        "/v1/tenant", headers=h, json={"settings": {"screening_lists": ["Bad Name"]}}
    )
    assert bad.status_code == 422


def test_hits_are_isolated_between_tenants(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle,
    other_tenant: TenantHandle, tmp_path: Path,
) -> None:  # fmt: skip
    _sanctions_level(flow)
    load(platform, write_ftm(tmp_path / "v1.jsonl", [ZHANG]))

    def create(owner: TenantHandle) -> str:
        assert owner == tenant
        a = flow.create(level="basic")
        flow.verify_phone(a["id"])
        flow.submit(a["id"])
        return str(_hits(client, owner, subject_id=a["id"])[0]["id"])

    assert_tenant_isolation(
        client,
        tenant,
        other_tenant,
        create=create,
        probes=(
            Probe("GET", "/v1/screening/hits/{id}"),
            Probe(
                "POST",
                "/v1/screening/hits/{id}/decision",
                json={"decision": "true_positive", "reason": "not yours"},
            ),
        ),
        list_path="/v1/screening/hits",
        read_back="/v1/screening/hits/{id}",
    )
