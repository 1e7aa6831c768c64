"""Public helpers for partners receiving Aegis webhooks.

from aegis.webhooks import verify_signature, SignatureError

try:
    verify_signature(raw_body, request.headers["Aegis-Signature"], secret)
except SignatureError:
    return 400
"""

from aegis.partners.webhooks.signing import HEADER, SignatureError, sign, verify_signature

__all__ = ["HEADER", "SignatureError", "sign", "verify_signature"]
