"""Payee screening at intake: a payee on the tenant's lists declines the payment
(``counterparty_sanctioned``). The lists' index is read with the rest of the tenant's
configuration when the runtime refreshes, not per payment, so a list loaded after the
runtime was built applies from its next refresh; a tenant that turns payee screening off
is not screened."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from aegis.platform import Platform
from tests.risk.test_decisions_api import post, tx
from tests.screening.support import company, load, write_ftm
from tests.support.tenants import TenantHandle

PAYEE = {"account": "DE89370400440532013000", "name": "Volga Trading House LLC", "country": "RU"}


def _executions(client: TestClient, tenant: TenantHandle, decision_id: str) -> dict[str, bool]:
    explained = client.get(f"/v1/decisions/{decision_id}", headers=tenant.headers).json()
    return {e["rule_id"]: e["hit"] for e in explained["executions"]}


def test_a_listed_payee_declines_from_the_next_refresh(
    client: TestClient, platform: Platform, tenant: TenantHandle, tmp_path: Path
) -> None:
    before = post(client, tenant, tx(payee=PAYEE))
    assert before.status_code == 201, before.text
    assert _executions(client, tenant, before.json()["id"])["counterparty_sanctioned"] is False

    load(platform, write_ftm(tmp_path / "list.jsonl", [company("co-1", "Volga Trading House")]))
    platform.risk.invalidate(tenant.id)  # the refresh period has passed
    after = post(client, tenant, tx(payee=PAYEE))
    assert after.status_code == 201, after.text
    assert after.json()["outcome"] == "decline"
    assert _executions(client, tenant, after.json()["id"])["counterparty_sanctioned"] is True

    other = post(client, tenant, tx(payee={**PAYEE, "name": "Rhine Bakery GmbH"}))
    assert _executions(client, tenant, other.json()["id"])["counterparty_sanctioned"] is False


def test_a_tenant_without_payee_screening_is_not_screened(
    client: TestClient, platform: Platform, tenant: TenantHandle, tmp_path: Path
) -> None:
    load(platform, write_ftm(tmp_path / "list.jsonl", [company("co-1", "Volga Trading House")]))
    r = client.patch(
        "/v1/tenant",
        headers=tenant.headers,
        json={"settings": {"risk_screen_counterparties": False}},
    )
    assert r.status_code == 200, r.text
    platform.risk.invalidate(tenant.id)
    decided = post(client, tenant, tx(payee=PAYEE))
    assert decided.status_code == 201, decided.text
    assert _executions(client, tenant, decided.json()["id"])["counterparty_sanctioned"] is False
