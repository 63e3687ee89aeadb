"""The web app over HTTP (aiohttp's test client on a loopback server): page, headers, demo login."""
from __future__ import annotations

import dataclasses
from typing import AsyncIterator, Callable, Dict

import jwt
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.common import identity
from bot.common.settings import Settings
from bot.web import messages
from bot.web.app import STATIC_DIR, DemoCustomer, content_security_policy, create_app, kb_demo_directory

SECRET = "web-test-secret-at-least-32-bytes-long"
DEMO = {
    "C0001": DemoCustomer("C0001", "普通"),
    "C0002": DemoCustomer("C0002", "银卡"),
    "C0003": DemoCustomer("C0003", "金卡"),
    "C0004": DemoCustomer("C0004", "白金卡"),
}


def settings(**overrides: object) -> Settings:
    base = Settings(identity_secret=SECRET, rasa_socket_url="http://127.0.0.1:5999", demo_login=True)
    return dataclasses.replace(base, **overrides)


async def _client(app_settings: Settings, directory: Callable[[], Dict[str, DemoCustomer]]) -> TestClient:
    client = TestClient(TestServer(create_app(app_settings, demo_directory=directory), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    opened = await _client(settings(), lambda: DEMO)
    yield opened
    await opened.close()


@pytest.fixture
async def no_demo_client() -> AsyncIterator[TestClient]:
    opened = await _client(settings(demo_login=False), lambda: DEMO)
    yield opened
    await opened.close()


# ---------------------------------------------------------------- page and static files


async def test_chat_page_is_chinese_html_configured_for_the_rasa_socket(client: TestClient) -> None:
    response = await client.get("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    assert '<html lang="zh-CN">' in page
    assert 'data-socket-url="http://127.0.0.1:5999"' in page
    assert 'data-socket-path="/socket.io"' in page
    assert 'data-demo-login="1"' in page
    assert "转人工" in page
    assert "{{" not in page


async def test_chat_page_loads_no_asset_from_another_host(client: TestClient) -> None:
    page = await (await client.get("/")).text()
    assert "//cdn" not in page and "https://" not in page and "http://" not in page.replace(
        'data-socket-url="http://127.0.0.1:5999"', ""
    )
    assert '<script src="/static/vendor/socket.io.min.js"' in page
    assert '<script src="/static/chat.js"' in page
    assert "<script>" not in page and "style=" not in page  # nothing inline: the CSP forbids it


async def test_socket_url_is_escaped_into_the_page() -> None:
    hostile = settings(rasa_socket_url='http://example.test/"><script>alert(1)</script>')
    opened = await _client(hostile, lambda: DEMO)
    try:
        page = await (await opened.get("/")).text()
    finally:
        await opened.close()
    assert "<script>alert(1)</script>" not in page
    assert "&quot;&gt;&lt;script&gt;" in page


@pytest.mark.parametrize(
    "path, content_type",
    [
        ("/static/chat.js", "application/javascript"),
        ("/static/chat.css", "text/css"),
        ("/static/vendor/socket.io.min.js", "application/javascript"),
        ("/static/favicon.svg", "image/svg+xml"),
    ],
)
async def test_static_assets_are_served(client: TestClient, path: str, content_type: str) -> None:
    response = await client.get(path)
    assert response.status == 200
    assert response.content_type in (content_type, "text/javascript")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_static_files_outside_the_folder_are_not_served(client: TestClient) -> None:
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/missing.js"):
        response = await client.get(path)
        assert response.status in (403, 404), path


def test_vendored_socket_io_client_keeps_its_license_header() -> None:
    head = (STATIC_DIR / "vendor" / "socket.io.min.js").read_text(encoding="utf-8")[:200]
    assert "Socket.IO v4." in head and "MIT License" in head
    assert (STATIC_DIR / "vendor" / "socket.io.LICENSE").is_file()


OUR_SCRIPTS = sorted(p.name for p in STATIC_DIR.glob("*.js"))  # not vendor/: third-party, unmodified


def test_every_page_script_is_checked() -> None:
    assert {"chat.js", "agent.js", "agent-inbox.js", "agent-dashboard.js"} <= set(OUR_SCRIPTS)


@pytest.mark.parametrize("page_script", OUR_SCRIPTS)
def test_page_script_never_writes_html_from_text(page_script: str) -> None:
    script = (STATIC_DIR / page_script).read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink


async def test_health_check(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


# ---------------------------------------------------------------- security headers


async def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for method, path in (("GET", "/"), ("GET", "/static/chat.js"), ("GET", "/healthz"), ("GET", "/nowhere"), ("POST", "/api/demo-login")):
        response = await client.request(method, path, data=b"{" if method == "POST" else None)
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Content-Security-Policy"] == content_security_policy("http://127.0.0.1:5999"), path
        assert headers["X-Frame-Options"] == "DENY", path
        assert headers["Referrer-Policy"] == "no-referrer", path


def test_content_security_policy_allows_only_self_and_the_rasa_socket() -> None:
    policy = dict(part.split(" ", 1) for part in content_security_policy("https://bot.example.test:5005").split("; "))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self' https://bot.example.test:5005 wss://bot.example.test:5005"
    assert policy["frame-ancestors"] == "'none'"


def test_socket_url_must_be_http() -> None:
    with pytest.raises(ValueError):
        create_app(settings(rasa_socket_url="javascript:alert(1)"), demo_directory=lambda: DEMO)


# ---------------------------------------------------------------- demo login


async def test_demo_login_issues_a_customer_token_for_a_demo_customer(client: TestClient) -> None:
    response = await client.post("/api/demo-login", json={"customer_id": "C0004"})
    assert response.status == 200
    body = await response.json()
    assert body["customer_id"] == "C0004"
    assert body["tier"] == "白金卡"
    # The token follows the identity contract: HS256, sub = customer id, signed with the secret.
    assert identity.verify_token(body["token"], SECRET) == "C0004"
    assert jwt.get_unverified_header(body["token"])["alg"] == "HS256"
    claims = jwt.decode(body["token"], SECRET, algorithms=["HS256"], audience=identity.audience("web"))
    assert claims["exp"] == body["expires_at"]
    assert response.headers["Cache-Control"] == "no-store"


async def test_demo_login_token_is_not_valid_under_another_secret(client: TestClient) -> None:
    body = await (await client.post("/api/demo-login", json={"customer_id": "C0003"})).json()
    assert identity.verify_token(body["token"], "another-secret-at-least-32-bytes-long") is None


async def test_demo_login_refuses_an_unknown_customer(client: TestClient) -> None:
    response = await client.post("/api/demo-login", json={"customer_id": "C9999"})
    assert response.status == 404
    assert await response.json() == {"error": messages.UNKNOWN_DEMO_CUSTOMER}


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b'["C0001"]', b'"C0001"'])
async def test_demo_login_answers_malformed_json_politely(client: TestClient, body: bytes) -> None:
    response = await client.post("/api/demo-login", data=body, headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert await response.json() == {"error": messages.MALFORMED_REQUEST}


@pytest.mark.parametrize("body", [{}, {"customer_id": ""}, {"customer_id": 4}, {"customer_id": None}])
async def test_demo_login_needs_a_customer_id(client: TestClient, body: object) -> None:
    response = await client.post("/api/demo-login", json=body)
    assert response.status == 400
    assert await response.json() == {"error": messages.MISSING_CUSTOMER_ID}


async def test_demo_login_refuses_an_oversized_body(client: TestClient) -> None:
    response = await client.post("/api/demo-login", data=b"{" + b" " * 10_000 + b"}")
    assert response.status == 400


async def test_disabled_demo_login_issues_nothing(no_demo_client: TestClient) -> None:
    response = await no_demo_client.post("/api/demo-login", json={"customer_id": "C0001"})
    assert response.status == 404
    assert await response.json() == {"error": messages.DEMO_LOGIN_DISABLED}
    assert (await no_demo_client.get("/api/demo-customers")).status == 404
    page = await (await no_demo_client.get("/")).text()
    assert 'data-demo-login="0"' in page


async def test_demo_customer_list_names_each_tier(client: TestClient) -> None:
    response = await client.get("/api/demo-customers")
    assert response.status == 200
    assert await response.json() == {
        "customers": [
            {"customer_id": "C0001", "tier": "普通"},
            {"customer_id": "C0002", "tier": "银卡"},
            {"customer_id": "C0003", "tier": "金卡"},
            {"customer_id": "C0004", "tier": "白金卡"},
        ]
    }


async def test_unavailable_demo_data_keeps_the_page_up() -> None:
    def broken() -> Dict[str, DemoCustomer]:
        raise RuntimeError("kb invalid")

    opened = await _client(settings(), broken)
    try:
        assert (await opened.get("/")).status == 200
        response = await opened.post("/api/demo-login", json={"customer_id": "C0001"})
        assert response.status == 503
        assert await response.json() == {"error": messages.DEMO_DATA_UNAVAILABLE}
    finally:
        await opened.close()


def test_settings_read_the_web_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOT_DEMO_MODE", raising=False)
    monkeypatch.setenv("BOT_WEB_PORT", "8123")
    monkeypatch.setenv("RASA_SOCKET_URL", "http://rasa.internal:5005")
    configured = Settings()
    assert configured.demo_login is False  # the demo login exists in demo mode only
    assert configured.web_port == 8123
    assert configured.rasa_socket_url == "http://rasa.internal:5005"
    monkeypatch.setenv("BOT_DEMO_MODE", "1")
    assert Settings().demo_login is True
    assert Settings().web_port == 8123


def test_demo_customers_come_from_the_knowledge_base() -> None:
    directory = kb_demo_directory(Settings())()
    assert {c.customer_id: c.tier for c in directory.values()} == {
        "C0001": "普通",
        "C0002": "银卡",
        "C0003": "金卡",
        "C0004": "白金卡",
    }
