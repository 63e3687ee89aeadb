"""Identity comes only from a valid signed token; everything else is an anonymous customer."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from bot.common.identity import customer_id_from_metadata, issue_token

SECRET = "test-identity-secret-that-is-32-bytes-or-more"
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


def _meta(token: object) -> dict:
    return {"customer_token": token}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_valid_token_identifies_the_customer() -> None:
    token = issue_token("C0003", SECRET, timedelta(hours=1), now=NOW)
    assert customer_id_from_metadata(_meta(token), SECRET, now=NOW) == "C0003"
    assert customer_id_from_metadata(_meta(token), SECRET, now=NOW + timedelta(minutes=59)) == "C0003"


def test_token_issued_now_works_without_an_explicit_clock() -> None:
    assert customer_id_from_metadata(_meta(issue_token("C0001", SECRET, 60)), SECRET) == "C0001"


def test_expired_token_is_anonymous() -> None:
    token = issue_token("C0003", SECRET, timedelta(minutes=5), now=NOW)
    assert customer_id_from_metadata(_meta(token), SECRET, now=NOW + timedelta(minutes=10)) is None
    assert customer_id_from_metadata(_meta(issue_token("C0003", SECRET, 60, now=NOW - timedelta(days=1))), SECRET) is None


def test_token_not_yet_valid_is_anonymous() -> None:
    token = jwt.encode({"sub": "C0003", "exp": int(NOW.timestamp()) + 7200, "nbf": int(NOW.timestamp()) + 3600},
                       SECRET, algorithm="HS256")
    assert customer_id_from_metadata(_meta(token), SECRET, now=NOW) is None


def test_wrong_secret_is_anonymous() -> None:
    token = issue_token("C0003", "another-secret-of-sufficient-length-xyz", 3600, now=NOW)
    assert customer_id_from_metadata(_meta(token), SECRET, now=NOW) is None


def test_forged_payload_with_the_old_signature_is_anonymous() -> None:
    header, _payload, signature = issue_token("C0001", SECRET, 3600, now=NOW).split(".")
    forged_payload = _b64({"sub": "C0004", "exp": int(NOW.timestamp()) + 3600})
    assert customer_id_from_metadata(_meta(f"{header}.{forged_payload}.{signature}"), SECRET, now=NOW) is None


def test_tampered_signature_is_anonymous() -> None:
    token = issue_token("C0001", SECRET, 3600, now=NOW)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert customer_id_from_metadata(_meta(tampered), SECRET, now=NOW) is None


def test_alg_none_is_refused() -> None:
    claims = {"sub": "C0004", "exp": int(NOW.timestamp()) + 3600}
    for header in ({"alg": "none", "typ": "JWT"}, {"alg": "None"}, {"alg": "NONE"}):
        unsigned = f"{_b64(header)}.{_b64(claims)}."
        assert customer_id_from_metadata(_meta(unsigned), SECRET, now=NOW) is None
    assert customer_id_from_metadata(_meta(jwt.encode(claims, None, algorithm="none")), SECRET, now=NOW) is None


def test_other_hmac_algorithm_is_refused_even_with_the_right_secret() -> None:
    token = jwt.encode({"sub": "C0004", "exp": int(NOW.timestamp()) + 3600}, SECRET * 2, algorithm="HS512")
    assert customer_id_from_metadata(_meta(token), SECRET * 2, now=NOW) is None
    assert customer_id_from_metadata(_meta(token), SECRET, now=NOW) is None


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 4102444800},  # no subject
        {"sub": "C0001"},  # no expiry: a token must not be valid forever
        {"sub": "", "exp": 4102444800},
        {"sub": 1, "exp": 4102444800},
        {"sub": "C" * 200, "exp": 4102444800},
        {"sub": "C0001", "exp": "soon"},
    ],
)
def test_tokens_with_unusable_claims_are_anonymous(claims: dict) -> None:
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert customer_id_from_metadata(_meta(token), SECRET, now=NOW) is None


@pytest.mark.parametrize(
    "metadata",
    [
        None,
        {},
        "customer_token",
        ["customer_token"],
        {"customer_token": None},
        {"customer_token": ""},
        {"customer_token": 12345},
        {"customer_token": "garbage"},
        {"customer_token": "a.b.c"},
        {"customer_token": "....."},
        {"customer_token": "客户.令牌.伪造"},
        {"customer_token": {"sub": "C0001"}},
    ],
)
def test_missing_or_garbage_metadata_is_anonymous(metadata: object) -> None:
    assert customer_id_from_metadata(metadata, SECRET, now=NOW) is None  # type: ignore[arg-type]


def test_bare_customer_id_in_metadata_is_never_trusted() -> None:
    assert customer_id_from_metadata({"customer_id": "C0004"}, SECRET, now=NOW) is None
    token = issue_token("C0001", SECRET, 3600, now=NOW)
    assert customer_id_from_metadata({"customer_id": "C0004", "customer_token": token}, SECRET, now=NOW) == "C0001"


def test_empty_secret_identifies_nobody() -> None:
    token = issue_token("C0001", SECRET, 3600, now=NOW)
    assert customer_id_from_metadata(_meta(token), "", now=NOW) is None
    with pytest.raises(ValueError):
        issue_token("C0001", "", 60)
