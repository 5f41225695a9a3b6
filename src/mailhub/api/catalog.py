"""``/api/v1/detect`` and ``/api/v1/providers``: which settings an address needs, and what we know per provider."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from mailhub.api.deps import Lang, request_lang
from mailhub.api.errors import ApiError
from mailhub.api.pagination import Page, PageRequest, page_request, paginate
from mailhub.api.schemas import DetectionOut, ErrorOut, ProviderDetailOut, ProviderOut
from mailhub.api.views import provider_detail_view, provider_view
from mailhub.catalog import detect, load_catalog

router = APIRouter(tags=["catalog"])

DETECT_TIMEOUT = 5.0  # seconds each lookup may take; the whole detection is bounded by the slowest one


@router.get(
    "/detect",
    response_model=DetectionOut,
    summary="Email address → IMAP/SMTP settings, provider and setup steps",
    responses={422: {"model": ErrorOut, "description": "Not an email address."}},
)
async def detect_settings(
    email: Annotated[str, Query(min_length=3, max_length=320, description="The mailbox address.")],
    lang: Lang = Depends(request_lang),
) -> dict[str, Any]:
    detection = await detect(email, timeout=DETECT_TIMEOUT)
    return detection.to_dict(lang)


@router.get("/providers", response_model=Page[ProviderOut], summary="Known providers")
async def list_providers(
    paging: PageRequest = Depends(page_request),
    lang: Lang = Depends(request_lang),
) -> dict[str, Any]:
    providers = list(load_catalog())
    # Providers have string ids; the cursor is the position in the catalog's (stable, reviewed) order.
    numbered = list(enumerate(providers, 1))
    page = paginate(numbered, paging, key=lambda pair: pair[0])
    page["items"] = [provider_view(provider, lang) for _number, provider in page["items"]]
    return page


@router.get(
    "/providers/{provider_id}",
    response_model=ProviderDetailOut,
    summary="One provider with its setup steps (admin, then user) and help links",
    responses={404: {"model": ErrorOut, "description": "No such provider."}},
)
async def show_provider(
    provider_id: Annotated[str, Path(max_length=64)],
    lang: Lang = Depends(request_lang),
) -> dict[str, Any]:
    provider = load_catalog().get(provider_id)
    if provider is None:
        raise ApiError(
            404,
            "provider_not_found",
            f"No provider {provider_id!r} in the catalog.",
            f"目录中没有服务商 {provider_id!r}。",
        )
    return provider_detail_view(provider, lang)
