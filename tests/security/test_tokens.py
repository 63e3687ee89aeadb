"""Forged, demo-secret, cross-purpose and malformed customer tokens all mean: anonymous."""
from __future__ import annotations

import json
import time

import jwt
import pytest

from bot.common.identity import ISSUER, audience, issue_token, verify_token
from bot.common.settings import DEMO_IDENTITY_SECRET

SECRET = "security-suite-identity-secret-of-32-bytes-or-more"


def claims(**overrides):
    now = int(time.time())
    return {"sub": "C0004", "iat": now, "exp": now + 600, "iss": ISSUER, "aud": audience("web"), **overrides}


def test_a_token_signed_with_the_public_demo_secret_is_worthless_in_production():
    forged = issue_token("C0004", DEMO_IDENTITY_SECRET, ttl=600)
    assert verify_token(forged, SECRET) is None


def test_an_sms_token_is_no_web_login_and_the_reverse():
    sms = issue_token("C0004", SECRET, ttl=600, purpose="sms")
    web = issue_token("C0004", SECRET, ttl=600, purpose="web")
    assert verify_token(sms, SECRET, purpose="web") is None
    assert verify_token(web, SECRET, purpose="sms") is None
    assert verify_token(web, SECRET, purpose="web") == "C0004"


@pytest.mark.parametrize("field, value", [("exp", float("nan")), ("exp", float("inf")), ("iat", float("nan")),
                                          ("iat", float("-inf"))])
def test_non_finite_times_are_rejected(field, value):
    # PyJWT would refuse to encode NaN, so the token is put together by hand as an attacker would.
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = jwt.utils.base64url_encode(json.dumps(claims(**{field: value})).encode())
    signing_input = header + b"." + body
    signature = jwt.utils.base64url_encode(
        jwt.algorithms.HMACAlgorithm(jwt.algorithms.HMACAlgorithm.SHA256).sign(signing_input, SECRET.encode()))
    token = (signing_input + b"." + signature).decode()
    assert verify_token(token, SECRET) is None


@pytest.mark.parametrize("overrides", [
    {"iss": "someone-else"},
    {"aud": "broker-branch-assistant:panel"},
    {"exp": int(time.time()) + 30 * 24 * 3600},  # a month-long "session"
    {"iat": int(time.time()) + 3600, "exp": int(time.time()) + 4000},  # issued in the future
])
def test_wrong_issuer_audience_or_lifetime_is_rejected(overrides):
    assert verify_token(jwt.encode(claims(**overrides), SECRET, algorithm="HS256"), SECRET) is None


def test_missing_claims_are_rejected():
    for missing in ("iat", "aud", "iss", "exp"):
        payload = claims()
        del payload[missing]
        assert verify_token(jwt.encode(payload, SECRET, algorithm="HS256"), SECRET) is None, missing


def test_the_none_algorithm_is_rejected():
    token = jwt.encode(claims(), key=None, algorithm="none")
    assert verify_token(token, SECRET) is None
