"""Who the customer is: a signed token in the message metadata, never a bare id.

`metadata.customer_token` is a JWT signed with HS256 by the site the customer logged in to; its
`sub` is the customer id, its `aud` the purpose it was issued for (the web chat, or the SMS channel
for a sender whose number is on file) and its `iss` this assistant. Anything that does not verify —
wrong signature or secret, another algorithm (including `none`), another purpose or issuer,
expired, not yet valid, a lifetime over a day, non-finite times, malformed — makes the customer
anonymous.
"""
from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping, Optional, Union

import jwt

ALGORITHM = "HS256"
TOKEN_KEY = "customer_token"
# Tolerated clock difference between the issuing site and this server.
LEEWAY_SECONDS = 30
ISSUER = "broker-branch-assistant"
PURPOSES = ("web", "sms")
# A customer token is a session credential, not a long-lived one.
MAX_LIFETIME_SECONDS = 24 * 3600
_MAX_SUBJECT_LENGTH = 64


def _timestamp(now: Optional[datetime]) -> float:
    if now is None:
        return time.time()
    return (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).timestamp()


def audience(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return f"{ISSUER}:{purpose}"


def issue_token(
    customer_id: str, secret: str, ttl: Union[timedelta, int, float] = timedelta(hours=1), now: Optional[datetime] = None,
    purpose: str = "web",
) -> str:
    """A customer token as the demo login page, the SMS channel (and tests) hand it out."""
    if not secret:
        raise ValueError("an identity secret is required")
    issued = int(_timestamp(now))
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else float(ttl)
    payload = {"sub": customer_id, "iat": issued, "exp": issued + int(seconds), "iss": ISSUER,
               "aud": audience(purpose)}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify_token(token: Any, secret: str, now: Optional[datetime] = None, purpose: str = "web") -> Optional[str]:
    """The customer id in a valid token issued for `purpose`, else None."""
    if not isinstance(token, str) or not token or not secret:
        return None
    try:
        # The algorithm list is fixed here, never taken from the token header ('none', RS/HS confusion).
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience(purpose),
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "aud", "iss"], "verify_exp": False, "verify_nbf": False,
                     "verify_iat": False},
        )
    except jwt.PyJWTError:
        return None
    except Exception:  # malformed input must never take the conversation down
        return None
    # Time claims are checked here against the caller's clock, which keeps the function testable.
    at = _timestamp(now)
    try:
        expires, issued = float(claims["exp"]), float(claims["iat"])
        not_before = float(claims.get("nbf", issued))
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(t) for t in (expires, issued, not_before)):
        return None  # NaN compares false with everything: it would never expire
    if expires <= at - LEEWAY_SECONDS or not_before > at + LEEWAY_SECONDS or issued > at + LEEWAY_SECONDS:
        return None
    if expires - issued > MAX_LIFETIME_SECONDS:
        return None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip() or len(subject) > _MAX_SUBJECT_LENGTH:
        return None
    return subject.strip()


def customer_id_from_metadata(
    metadata: Optional[Mapping[str, Any]], secret: str, now: Optional[datetime] = None, purpose: str = "web"
) -> Optional[str]:
    """The verified customer id of a message, or None for an anonymous customer.

    A `customer_id` key in the metadata is ignored on purpose: anyone can type one into a REST call.
    """
    if not isinstance(metadata, Mapping):
        return None
    return verify_token(metadata.get(TOKEN_KEY), secret, now, purpose)
