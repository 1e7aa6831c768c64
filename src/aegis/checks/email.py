"""Disposable e-mail domains: a sign-up signal, sent to review rather than rejected.

The blocklist is the community-maintained ``disposable-email-domains`` list (CC0). A domain
counts as disposable when it or any parent domain is listed (``x.mailinator.com``), since
these services hand out subdomains freely. The domain itself stays out of the details: for
a small private domain it identifies the applicant.
"""

from __future__ import annotations

from collections.abc import Collection

from disposable_email_domains import blocklist as community_blocklist

from aegis.checks.result import CheckResult

CHECK = "email"
DISPOSABLE_EMAIL = "DISPOSABLE_EMAIL"
DEFAULT_BLOCKLIST: frozenset[str] = frozenset(community_blocklist)


def email_domain(email: str) -> str:
    """The domain, lower-case, without a trailing dot, in its ASCII (IDNA) form.

    Raises ValueError for a string without a domain: addresses are validated at the API
    edge (email-validator), so reaching here with one is a bug to surface, not data to pass.
    """
    local, at, domain = email.strip().rpartition("@")
    domain = domain.strip().rstrip(".").lower()
    if not at or not local or not domain:
        raise ValueError("not an e-mail address")
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain  # not encodable: compare as typed; it cannot be on an ASCII list


def is_disposable(domain: str, blocklist: Collection[str] = DEFAULT_BLOCKLIST) -> bool:
    if domain in blocklist:
        return True
    labels = domain.split(".")
    # Parents with at least two labels (b.example.com, example.com), never a bare TLD: a
    # list entry "com" must not flag the world.
    return any(".".join(labels[i:]) in blocklist for i in range(1, len(labels) - 1))


def check_email_domain(
    email: str,
    *,
    blocklist: Collection[str] = DEFAULT_BLOCKLIST,
    allowlist: Collection[str] = (),
) -> CheckResult:
    """REVIEW with ``DISPOSABLE_EMAIL`` when the domain or a parent is on the blocklist.

    ``allowlist`` lets an operator overrule the community list for a domain it trusts
    (exact domain or parent, like the blocklist).
    """
    domain = email_domain(email)
    if allowlist and is_disposable(domain, allowlist):
        return CheckResult.passed(CHECK, domain_disposable=False, allowlisted=True)
    if is_disposable(domain, blocklist):
        return CheckResult.review(CHECK, DISPOSABLE_EMAIL, domain_disposable=True)
    return CheckResult.passed(CHECK, domain_disposable=False)
