"""Dependencies shared by the routes, as Annotated aliases."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from clipstitch.api.service import Service

ANONYMOUS = "anonymous"

_bearer = HTTPBearer(auto_error=False)


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_owner(
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's identity: a fingerprint of its API key."""
    keys = service.settings.api_keys
    if not keys:
        return ANONYMOUS
    token = credentials.credentials if credentials else ""
    if not any(hmac.compare_digest(token, key) for key in keys):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid API key is required (Authorization: Bearer <key>)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return hashlib.sha256(token.encode()).hexdigest()[:16]


OwnerDep = Annotated[str, Depends(get_owner)]
