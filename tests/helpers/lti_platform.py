"""A small LTI 1.3 platform (an LMS as far as the tool can tell), built from
PyJWT and served by uvicorn in a thread on 127.0.0.1, plus `serve` to run the
tool the same way.

Why not the `lti1p3platform` package: 0.1.x by one author, it gives message
and token helpers but no HTTP endpoints (we would write every route anyway),
its token endpoint asserts instead of answering errors and has a TODO where
scopes should be checked. This one is ~250 lines we control and it checks
what a real platform must: the tool's signed client assertion (against the
tool's JWKS URL), the bearer token on every service call, and the signature,
iss and aud of the deep-linking response. Everything is recorded.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from tests.helpers.service_processes import free_port, wait_for

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_SCOPES = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
              "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
              "https://purl.imsglobal.org/spec/lti-ags/scope/score"]
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run an ASGI app on a free loopback port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, timeout=15)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _rsa() -> tuple[str, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    jwk = dict(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True))
    jwk.update(kid="platform-" + secrets.token_hex(4), alg="RS256", use="sig")
    return pem, jwk


@dataclass
class LaunchSpec:
    """One launch the platform will make; the tamper fields make hostile ones."""

    sub: str
    roles: list[str]
    name: str = "Ada Lovelace"
    email: str = "ada@example.edu"
    context_id: str = "ctx-1"
    context_label: str = "CS101"
    context_title: str = "Intro to Backends"
    resource_link_id: str = "rl-1"
    custom: dict[str, str] = field(default_factory=dict)
    deep_link: bool = False
    forge: bool = False  # signed by a key that is not in the platform's JWKS
    expired: bool = False
    aud: str | None = None
    deployment_id: str | None = None


@dataclass
class Platform:
    tool_base: str
    client_id: str = "grader-tool"
    deployment_id: str = "deploy-1"
    base: str = ""
    key_pem: str = ""
    jwk: dict[str, Any] = field(default_factory=dict)
    other_pem: str = ""
    launches: dict[str, LaunchSpec] = field(default_factory=dict)
    id_tokens: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # access token -> scopes
    scores: list[dict[str, Any]] = field(default_factory=list)
    score_failures: int = 0  # answer 500 to this many score posts first
    score_calls: int = 0
    deep_link_items: list[list[dict[str, Any]]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.key_pem, self.jwk = _rsa()
        self.other_pem, _ = _rsa()

    @property
    def issuer(self) -> str:
        return self.base

    def registration(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "client_id": self.client_id,
                "auth_login_url": f"{self.base}/auth", "auth_token_url": f"{self.base}/token",
                "key_set_url": f"{self.base}/jwks", "deployment_ids": [self.deployment_id]}

    def login_url(self, spec: LaunchSpec) -> str:
        """The third-party initiated login: where the LMS sends the browser first."""
        hint = secrets.token_hex(8)
        self.launches[hint] = spec
        return f"{self.tool_base}/lti/login?" + urlencode({
            "iss": self.issuer, "login_hint": spec.sub, "lti_message_hint": hint,
            "target_link_uri": f"{self.tool_base}/lti/launch", "client_id": self.client_id,
            "lti_deployment_id": self.deployment_id})

    def id_token(self, spec: LaunchSpec, nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": spec.aud or self.client_id, "azp": self.client_id,
            "sub": spec.sub, "iat": now - 5, "exp": now - 60 if spec.expired else now + 300,
            "nonce": nonce, "name": spec.name, "email": spec.email,
            CLAIM + "deployment_id": spec.deployment_id or self.deployment_id,
            CLAIM + "version": "1.3.0", CLAIM + "roles": spec.roles,
            CLAIM + "target_link_uri": f"{self.tool_base}/lti/launch",
            CLAIM + "context": {"id": spec.context_id, "label": spec.context_label,
                                "title": spec.context_title},
            CLAIM + "custom": spec.custom,
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.base}/memberships/{spec.context_id}",
                "service_versions": ["2.0"]},
        }
        if spec.deep_link:
            claims[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.base}/deep_link_return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["window"],
                "accept_multiple": True, "data": "platform-opaque"}
        else:
            claims[CLAIM + "message_type"] = "LtiResourceLinkRequest"
            claims[CLAIM + "resource_link"] = {"id": spec.resource_link_id, "title": "Link"}
            claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = {
                "scope": AGS_SCOPES, "lineitems": f"{self.base}/lineitems",
                "lineitem": f"{self.base}/lineitems/{spec.resource_link_id}"}
        # A forgery names the platform's key but is signed with another one.
        pem = self.other_pem if spec.forge else self.key_pem
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": self.jwk["kid"]})

    def verify_tool_jwt(self, token: str, audience: str) -> dict[str, Any]:
        keys = httpx.get(f"{self.tool_base}/lti/jwks", timeout=5).json()["keys"]
        kid = jwt.get_unverified_header(token).get("kid")
        match = [k for k in keys if k.get("kid") == kid]
        if not match:
            raise HTTPException(401, "unknown tool key")
        key = jwt.PyJWK(match[0]).key
        claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"], audience=audience)
        return claims

    def bearer(self, request: Request, scope: str) -> None:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if scope not in self.tokens.get(token, "").split():
            self.refusals.append(f"bearer without {scope}")
            raise HTTPException(401, "no valid access token for this scope")

    def app(self) -> FastAPI:
        app = FastAPI()
        platform = self

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            return {"keys": [platform.jwk]}

        @app.get("/auth")
        def auth(request: Request) -> Response:
            q = request.query_params
            spec = platform.launches.get(q.get("lti_message_hint", ""))
            if (spec is None or q.get("client_id") != platform.client_id
                    or q.get("redirect_uri") != f"{platform.tool_base}/lti/launch"
                    or q.get("login_hint") != spec.sub or not q.get("nonce")):
                platform.refusals.append(f"auth: {dict(q)}")
                raise HTTPException(400, "bad authorization request")
            token = platform.id_token(spec, q["nonce"])
            platform.id_tokens.append(token)
            return HTMLResponse(
                f'<html><body><form id="f" method="post" action="{q["redirect_uri"]}">'
                f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
                f'<input type="hidden" name="state" value="{html.escape(q["state"])}">'
                '<button type="submit">Continue</button></form>'
                "<script>document.getElementById('f').submit()</script></body></html>")

        @app.post("/token")
        def token(grant_type: str = Form(), client_assertion_type: str = Form(),
                  client_assertion: str = Form(), scope: str = Form()) -> JSONResponse:
            claims = platform.verify_tool_jwt(client_assertion, f"{platform.base}/token")
            if (grant_type != "client_credentials" or claims.get("sub") != platform.client_id
                    or claims.get("iss") != platform.client_id):
                raise HTTPException(400, "invalid_client")
            access = secrets.token_urlsafe(16)
            platform.tokens[access] = scope
            return JSONResponse({"access_token": access, "token_type": "Bearer",
                                 "expires_in": 3600, "scope": scope})

        @app.post("/lineitems/{item}/scores")
        async def score(item: str, request: Request) -> Response:
            platform.bearer(request, AGS_SCOPES[2])
            platform.score_calls += 1
            if platform.score_calls <= platform.score_failures:
                return Response("platform hiccup", status_code=500)
            platform.scores.append({"lineitem": item, **(await request.json())})
            return Response(status_code=204)

        @app.get("/memberships/{context_id}")
        def memberships(context_id: str, request: Request) -> dict[str, Any]:
            platform.bearer(request, "https://purl.imsglobal.org/spec/lti-nrps/scope/"
                                     "contextmembership.readonly")
            return {"id": str(request.url), "context": {"id": context_id},
                    "members": platform.members}

        @app.post("/deep_link_return")
        def deep_link_return(JWT: str = Form()) -> HTMLResponse:  # the spec's field name
            claims = platform.verify_tool_jwt(JWT, platform.issuer)
            if (claims.get("iss") != platform.client_id or claims.get(CLAIM + "message_type")
                    != "LtiDeepLinkingResponse"):
                raise HTTPException(400, "not a deep-linking response from this tool")
            platform.deep_link_items.append(
                claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"])
            return HTMLResponse("<p id='dl-done'>Items added</p>")

        return app

    @contextmanager
    def running(self) -> Iterator[Platform]:
        with serve(self.app()) as base:
            self.base = base
            yield self
