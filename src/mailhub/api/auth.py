"""Bearer-token auth for ``/api/v1``: ``Authorization: Bearer mh_...`` made by ``mailhub token create``."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mailhub.api.errors import ApiError
from mailhub.api.tokens import ApiToken, check_token

# auto_error=False: a missing header gets our own 401 body instead of FastAPI's 403.
bearer = HTTPBearer(auto_error=False, description="An API token from `mailhub token create NAME`.")


def _unauthorized(code: str, en: str, zh: str) -> ApiError:
    return ApiError(401, code, en, zh, headers={"WWW-Authenticate": "Bearer"})


async def require_token(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> ApiToken:
    """The caller's token, or 401 (``token_missing`` / ``token_invalid``)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized(
            "token_missing",
            "Send an API token: Authorization: Bearer <token> (make one with `mailhub token create NAME`).",
            "请提供 API 令牌：Authorization: Bearer <令牌>（用 `mailhub token create 名称` 创建）。",
        )
    token = check_token(request.app.state.store, credentials.credentials)
    if token is None:
        raise _unauthorized(
            "token_invalid",
            "This API token is unknown or revoked.",
            "该 API 令牌不存在或已被吊销。",
        )
    return token
