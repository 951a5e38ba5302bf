"""pylti1p3's tool configuration, read from the registered platforms.

Every lookup goes to the database, so a platform an admin registers works at
once in every API process and worker, with no restart and no config file.
An issuer may have several client ids (one LMS, several registrations): we
always answer "many clients" and look up by (issuer, client id); a login
initiation that omits client_id is matched when the issuer has one only.
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select

from grader.db import Database, LtiDeployment, LtiPlatform
from grader.lti.keys import ToolKey


def registration(platform: LtiPlatform, key: ToolKey) -> Registration:
    reg = Registration()
    reg.set_issuer(platform.issuer).set_client_id(platform.client_id)
    reg.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
    reg.set_key_set_url(platform.key_set_url)
    reg.set_tool_private_key(key.private_pem).set_tool_public_key(key.public_pem)
    return reg


def find_platform(db: Database, iss: str, client_id: str | None) -> LtiPlatform | None:
    with db.reading() as session:
        query = select(LtiPlatform).where(LtiPlatform.issuer == iss)
        if client_id:
            return session.scalar(query.where(LtiPlatform.client_id == client_id))
        found = list(session.scalars(query.limit(2)))
        return found[0] if len(found) == 1 else None


class DbToolConf(ToolConfAbstract[Any]):
    def __init__(self, db: Database, key: ToolKey) -> None:
        super().__init__()
        self.db = db
        self.key = key
        self.platform: LtiPlatform | None = None  # the one the last lookup found

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    # The library declares Registration but tests for None ("not found").
    def find_registration_by_issuer(self, iss: str, *args: Any,  # type: ignore[override]
                                    **kwargs: Any) -> Registration | None:
        return self.find_registration_by_params(iss, None, *args, **kwargs)

    def find_registration_by_params(  # type: ignore[override]
            self, iss: str, client_id: str | None, *args: Any, **kwargs: Any
    ) -> Registration | None:
        self.platform = find_platform(self.db, iss, client_id)
        return registration(self.platform, self.key) if self.platform is not None else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str | None,
                                  *args: Any, **kwargs: Any) -> Deployment | None:
        platform = find_platform(self.db, iss, client_id)
        if platform is None:
            return None
        with self.db.reading() as session:
            found = session.scalar(select(LtiDeployment.id).where(
                LtiDeployment.platform_id == platform.id,
                LtiDeployment.deployment_id == deployment_id))
        return Deployment().set_deployment_id(deployment_id) if found is not None else None
