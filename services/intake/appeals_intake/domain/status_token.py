"""The citizen's status token: what lets the author, and only the author, follow an appeal.

Registration numbers are sequential and guessable; the token is not. It is an HMAC of the
appeal id under the platform's secret (``STATUS_TOKEN_SECRET``), 192 bits, so intake can
give the same token again to a channel that repeats its submission without storing it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID


def status_token(secret: bytes, appeal_id: UUID) -> str:
    digest = hmac.new(secret, b"open-appeals/status/v1\n" + appeal_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def token_matches(secret: bytes, appeal_id: UUID, token: str | None) -> bool:
    """Constant-time check of a presented token; any text at all is merely wrong, never an error
    (``compare_digest`` refuses non-ASCII ``str``, so bytes are compared)."""
    return bool(token) and hmac.compare_digest(status_token(secret, appeal_id).encode(),
                                               (token or "").encode("utf-8", "surrogatepass"))
