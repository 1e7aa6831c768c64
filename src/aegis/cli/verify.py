"""``aegis kyc verify``: the whole verification of one applicant from files, without a server.

    aegis kyc verify --document F [--document-back F] --selfie F [--liveness F ...]
                     [--challenge turn_left,blink,turn_right] [--proof-of-address F]
                     --applicant applicant.json [--level standard] [--today YYYY-MM-DD] --json

``applicant.json`` is the API's applicant profile (``{"first_name": ..., "last_name": ...,
"date_of_birth": ..., "id_type": ..., "id_number": ...}``), or an object with that profile
under ``"profile"``. Liveness frames are checked against ``--challenge``, the actions the
applicant was asked for, in order. The phone code and outside parties (registry, bank) need
the live flow and are not run here.
"""

from __future__ import annotations

import datetime as dt
import json
import mimetypes
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from aegis.cli.output import emit, fail
from aegis.errors import AegisError


def _read(path: Path | None) -> bytes | None:
    if path is None:
        return None
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return path.read_bytes()


def _profile(path: Path) -> dict[str, Any]:
    from aegis.kyc.schemas import Profile

    data = json.loads(path.read_text(encoding="utf-8"))
    raw = data.get("profile", data) if isinstance(data, dict) else data
    return Profile.model_validate(raw).model_dump(mode="json")


def _challenge(actions: str, now: dt.datetime) -> Any:
    from aegis.checks.biometric.liveness import Challenge
    from aegis.checks.biometric.motion import Action

    steps = tuple(Action(a.strip()) for a in actions.split(",") if a.strip())
    return Challenge(
        nonce="offline", actions=steps, issued_at=now, expires_at=now + dt.timedelta(hours=1)
    )


def run_verify(
    *,
    document: Path | None,
    document_back: Path | None,
    selfie: Path | None,
    liveness: list[Path],
    challenge: str,
    proof_of_address: Path | None,
    applicant: Path,
    level: str,
    today: dt.date,
) -> dict[str, Any]:
    from aegis.checks.document.read import result_dict
    from aegis.cli.document import mrz_config
    from aegis.config import Settings
    from aegis.kyc.checking import data_checks
    from aegis.kyc.levels import DEFAULT_LEVELS, Check
    from aegis.kyc.policy import decide
    from aegis.kyc.service import reason_out
    from aegis.kyc.verify import MediaInputs, MediaOptions, verify_media

    profile = _profile(applicant)
    policy = DEFAULT_LEVELS[level]
    # Checks that need the live flow: the phone code, and the lists in a database.
    not_run = (Check.PHONE_OWNERSHIP, Check.SANCTIONS)
    offline = policy.model_copy(update={"checks": [c for c in policy.checks if c not in not_run]})
    poa_type = mimetypes.guess_type(proof_of_address.name)[0] if proof_of_address else None
    inputs = MediaInputs(
        document=_read(document),
        document_back=_read(document_back),
        selfie=_read(selfie),
        liveness_frames=tuple(p.read_bytes() for p in liveness),
        challenge=_challenge(challenge, dt.datetime.now(dt.UTC)) if liveness else None,
        proof_of_address=_read(proof_of_address),
        proof_of_address_type=poa_type or "application/octet-stream",
    )
    verdict = verify_media(
        inputs,
        profile=profile,
        options=MediaOptions(today=today, model_dir=Settings().face_model_dir, mrz=mrz_config()),
    )
    results = data_checks(offline, profile, phone_verified=False) + verdict.results
    decision = decide(offline, results, attempts_left=policy.thresholds.max_resubmissions)
    return {
        "decision": {
            "status": decision.verdict.value,
            "reasons": [reason_out(code) for code in decision.codes],
            "resubmit_steps": list(decision.resubmit_steps),
        },
        "checks": [result_dict(r) for r in results],
        "not_run": [c.value for c in not_run if c in policy.checks],
        "evidence": verdict.evidence(),
    }


def verify(
    applicant: Annotated[
        Path, typer.Option(help="The applicant's data (the API's profile) as JSON.")
    ],
    document: Annotated[Path | None, typer.Option(help="Identity document image.")] = None,
    document_back: Annotated[
        Path | None, typer.Option("--document-back", help="Its back (ID cards).")
    ] = None,
    selfie: Annotated[Path | None, typer.Option(help="Selfie image.")] = None,
    liveness: Annotated[
        list[Path] | None, typer.Option(help="Liveness frames, in order (repeat the option).")
    ] = None,
    challenge: Annotated[
        str, typer.Option(help="The liveness actions asked for, comma-separated, in order.")
    ] = "turn_left,turn_right,blink",
    proof_of_address: Annotated[
        Path | None,
        typer.Option("--proof-of-address", help="Utility bill or bank statement."),
    ] = None,
    level: Annotated[str, typer.Option(help="Verification level: basic|standard|enhanced.")] = (
        "standard"
    ),
    today: Annotated[
        str | None, typer.Option(help="Judge dates as of this day (YYYY-MM-DD).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Every check with its code and evidence, and the decision, for one applicant."""
    from aegis.checks.document.mrz_reader import MrzModelError
    from aegis.kyc.levels import DEFAULT_LEVELS

    if level not in DEFAULT_LEVELS:
        fail(f"--level must be one of {', '.join(DEFAULT_LEVELS)}", as_json=as_json, code=2)
    try:
        as_of = dt.date.fromisoformat(today) if today else dt.date.today()
        result = run_verify(
            document=document,
            document_back=document_back,
            selfie=selfie,
            liveness=list(liveness or []),
            challenge=challenge,
            proof_of_address=proof_of_address,
            applicant=applicant,
            level=level,
            today=as_of,
        )
    except (OSError, ValueError) as exc:
        # ValueError covers a bad date, bad JSON and unknown liveness actions.
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, ValidationError):
            message = f"{applicant}: {exc.error_count()} invalid field(s) in the profile"
        fail(message, as_json=as_json, code=2)
    except AegisError as exc:
        fail(exc.detail, as_json=as_json, code=2)
    except MrzModelError as exc:
        fail(str(exc), as_json=as_json, code=2)
    decision = result["decision"]
    human = f"decision: {decision['status']}\n" + "\n".join(
        f"  {c['check']}: {c['outcome']} {' '.join(c['codes'])}" for c in result["checks"]
    )
    emit(result, as_json=as_json, human=human)
