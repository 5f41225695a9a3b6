"""The hub's server-rendered web UI (Jinja2, zh-CN and en, a few lines of vanilla JS).

``router`` is included by ``mailhub.app.create_app()``; the pages use ``app.state.service`` (the
``AccountService``) and ``app.state.store``.
"""

from fastapi import APIRouter

from mailhub.web import accounts_pages, events, mail_pages, pages

router = APIRouter(include_in_schema=False)
router.include_router(pages.router)
router.include_router(accounts_pages.router)
router.include_router(mail_pages.router)
router.include_router(events.router)

__all__ = ["router"]
