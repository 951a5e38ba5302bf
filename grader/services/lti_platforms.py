"""The LTI platforms (LMSs) an admin registers: issuer, client id, the
platform's login, token and key-set URLs, and the deployment ids it may
launch from. Registering the same (issuer, client id) again updates it and
adds deployment ids (never removes one: links placed with it keep working)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select

from grader.db import Database, LtiDeployment, LtiPlatform
from grader.services.errors import Invalid


@dataclass(frozen=True)
class PlatformView:
    id: int
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: list[str]


def _view(platform: LtiPlatform) -> PlatformView:
    return PlatformView(platform.id, platform.name, platform.issuer, platform.client_id,
                        platform.auth_login_url, platform.auth_token_url, platform.key_set_url,
                        [d.deployment_id for d in platform.deployments])


def _url(label: str, value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 2000:
        raise Invalid(f"{label}: give a full http(s) URL, not {value[:80]!r}")
    return value


def register_platform(*, db: Database, issuer: str, client_id: str, auth_login_url: str,
                      auth_token_url: str, key_set_url: str, deployment_ids: list[str],
                      name: str | None = None) -> PlatformView:
    issuer, client_id = issuer.strip(), client_id.strip()
    if not issuer or len(issuer) > 2000:
        raise Invalid("issuer: give the platform's issuer (iss), as its LTI settings show it")
    if not client_id or len(client_id) > 255:
        raise Invalid("client id: give the client id the platform issued for this tool")
    deployments = [d.strip() for d in deployment_ids if d.strip()]
    if not deployments or any(len(d) > 255 for d in deployments):
        raise Invalid("give at least one deployment id (up to 255 characters each)")
    urls = {"auth_login_url": _url("auth login URL", auth_login_url),
            "auth_token_url": _url("auth token URL", auth_token_url),
            "key_set_url": _url("key set URL", key_set_url)}
    label = (name or "").strip()[:200] or urlsplit(issuer).netloc or issuer[:200]
    with db.session() as session:
        platform = session.scalar(select(LtiPlatform).where(
            LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id))
        if platform is None:
            platform = LtiPlatform(issuer=issuer, client_id=client_id, name=label, **urls)
            session.add(platform)
            session.flush()
        else:
            platform.name = label if name else platform.name
            for attr, value in urls.items():
                setattr(platform, attr, value)
        known = {d.deployment_id for d in platform.deployments}
        for deployment in dict.fromkeys(deployments):
            if deployment not in known:
                platform.deployments.append(LtiDeployment(deployment_id=deployment))
        session.flush()
        session.refresh(platform)
        return _view(platform)


def list_platforms(*, db: Database) -> list[PlatformView]:
    with db.reading() as session:
        return [_view(p) for p in session.scalars(select(LtiPlatform).order_by(LtiPlatform.id))]


@dataclass(frozen=True)
class ToolUrls:
    """What to give the LMS when registering the tool."""

    login: str
    launch: str
    deep_link: str
    jwks: str

    @classmethod
    def at(cls, base_url: str) -> ToolUrls:
        base = base_url.rstrip("/")
        return cls(login=f"{base}/lti/login", launch=f"{base}/lti/launch",
                   deep_link=f"{base}/lti/launch", jwks=f"{base}/lti/jwks")
