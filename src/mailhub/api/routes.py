"""``/api/v1``: every API router behind bearer-token auth, with the error shape documented once."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from mailhub.api import accounts, catalog, events, mail, outbox
from mailhub.api.auth import require_token
from mailhub.api.schemas import ErrorOut

router = APIRouter(
    prefix="/api/v1",
    dependencies=[Depends(require_token)],
    responses={
        401: {"model": ErrorOut, "description": "No API token, or an unknown or revoked one."},
        422: {"model": ErrorOut, "description": "Invalid request (`code` says which rule)."},
    },
)
router.include_router(accounts.router)
router.include_router(catalog.router)
router.include_router(mail.router)
router.include_router(outbox.router)
router.include_router(events.router)
