"""Display forms of PII: for screens and exports, never a substitute for access control."""

from __future__ import annotations

from aegis.privacy.blind_index import normalise_card, normalise_id_number


def mask_card(value: str) -> str:
    """PCI DSS display rule: at most the first six and the last four digits."""
    digits = normalise_card(value)
    if len(digits) < 13:
        return "*" * len(digits)
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def mask_id_number(value: str) -> str:
    """Only the last four characters."""
    normal = normalise_id_number(value)
    if len(normal) <= 4:
        return "*" * len(normal)
    return "*" * (len(normal) - 4) + normal[-4:]


def mask_phone(value: str) -> str:
    """Country code (if any) and the last two digits."""
    digits = [c for c in value if c.isdigit()]
    if len(digits) <= 4:
        return "*" * len(digits)
    head = "+" if value.strip().startswith("+") else ""
    keep_head = 2 if head else 0
    shown_head = "".join(digits[:keep_head])
    return head + shown_head + "*" * (len(digits) - keep_head - 2) + "".join(digits[-2:])


def mask_email(value: str) -> str:
    """First character of the local part and the domain."""
    local, sep, domain = value.partition("@")
    if not sep:
        return "*" * len(value)
    return (local[:1] + "***") + "@" + domain


def mask_name(value: str) -> str:
    """First character of each word; works for Latin and CJK names alike."""
    return " ".join(w[:1] + "*" * (len(w) - 1) for w in value.split())
