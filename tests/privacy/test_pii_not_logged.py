"""Known PII goes through create, read, update, search and failed validation; none of it
may appear in any log line, from our code or from libraries (SQL echo included)."""

from __future__ import annotations

import io
import logging

import pytest
from fastapi.testclient import TestClient

from aegis.logging import configure_logging, scrub
from tests.support.tenants import TenantHandle

NAME = "Xiaoming Quennell-Abernathy"
EMAIL = "xiaoming.quennell@pii-example.org"
PHONE = "+447911123456"
NOTES = "Prefers contact after 18:00 at home address 221B Baker Street"
NEW_NAME = "Wilhelmina Featherstonehaugh"
NEW_PHONE = "+33612345678"
PII = [NAME, EMAIL, PHONE, "7911123456", NOTES, "221B Baker", NEW_NAME, NEW_PHONE, "612345678"]


@pytest.fixture
def captured() -> io.StringIO:
    buffer = io.StringIO()
    configure_logging("DEBUG", json=True, stream=buffer)
    # The most talkative settings a operator might turn on while debugging.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    yield buffer
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    configure_logging("INFO")


def test_no_pii_in_logs(
    client: TestClient,
    tenant: TenantHandle,
    captured: io.StringIO,
    capfd: pytest.CaptureFixture[str],
) -> None:
    h = tenant.headers
    created = client.post(
        "/v1/contacts",
        headers={**h, "Idempotency-Key": "pii-1"},
        json={"role": "mlro", "name": NAME, "email": EMAIL, "phone": PHONE, "notes": NOTES},
    )
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    replay = client.post(
        "/v1/contacts",
        headers={**h, "Idempotency-Key": "pii-1"},
        json={"role": "mlro", "name": NAME, "email": EMAIL, "phone": PHONE, "notes": NOTES},
    )
    assert replay.json()["email"] == EMAIL
    assert client.get(f"/v1/contacts/{cid}", headers=h).json()["name"] == NAME
    assert client.get("/v1/contacts", headers=h).status_code == 200
    found = client.post("/v1/contacts/search", headers=h, json={"email": EMAIL.upper()})
    assert [c["id"] for c in found.json()] == [cid]
    updated = client.patch(
        f"/v1/contacts/{cid}", headers=h, json={"name": NEW_NAME, "phone": NEW_PHONE}
    )
    assert updated.status_code == 200, updated.text
    # Validation failures carrying PII in the rejected values.
    bad = client.post(
        "/v1/contacts",
        headers=h,
        json={"role": "boss", "name": NAME, "email": NAME, "phone": PHONE + "999999", "x": EMAIL},
    )
    assert bad.status_code == 422
    assert NAME not in bad.text and EMAIL not in bad.text
    bad_json = client.post("/v1/contacts", headers=h, content=f'{{"name": "{NAME}", '.encode())
    assert bad_json.status_code == 400
    assert client.delete(f"/v1/contacts/{cid}", headers=h).status_code == 204

    logs = captured.getvalue()
    out, err = capfd.readouterr()
    assert "INSERT INTO contacts" in logs  # the capture works: SQL echo is there
    assert "/contacts" in logs  # and access lines
    for value in PII:
        assert value not in logs, f"PII {value!r} leaked into logs"
        assert value not in out + err, f"PII {value!r} leaked to stdout/stderr"


def test_scrub_removes_emails_and_digit_runs() -> None:
    line = "user bob.smith@example.com called from +44 7911 123456 with card 4111-1111-1111-1111"
    cleaned = scrub(line)
    assert "bob.smith" not in cleaned
    assert "7911" not in cleaned
    assert "4111" not in cleaned
