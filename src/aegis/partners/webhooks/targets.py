"""Where a webhook may be sent: no SSRF into our own network unless the operator allows it."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class TargetRefused(ValueError):
    pass


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def check_url(url: str, *, allow_private: bool) -> None:
    """Static check at registration: scheme and literal addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise TargetRefused("the URL must be https")
    if parts.scheme == "http" and not allow_private:
        raise TargetRefused("the URL must be https")
    if parts.username or parts.password:
        raise TargetRefused("the URL must not carry credentials")
    # A trailing dot is the same name, fully qualified: "localhost." is localhost.
    host = (parts.hostname or "").rstrip(".")
    if allow_private:
        return
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise TargetRefused("the URL must not point at a private host")
    try:
        private = _private(host)
    except ValueError:
        return  # a name: checked again when resolved at delivery time
    # Raised outside the try: TargetRefused is a ValueError and would be swallowed there.
    if private:
        raise TargetRefused("the URL must not point at a private address")


def check_resolved(url: str, *, allow_private: bool) -> None:
    """At delivery: every address the name resolves to must be public."""
    if allow_private:
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname or "", port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        # UnicodeError: a name IDNA cannot encode (say a label over 63 characters) fails
        # before any lookup; it must end this attempt like a name that does not resolve.
        raise TargetRefused("the host name does not resolve") from exc
    if any(_private(str(info[4][0])) for info in infos):
        raise TargetRefused("the host resolves to a private address")
