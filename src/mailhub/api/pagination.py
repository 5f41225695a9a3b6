"""One pagination for every list endpoint: ``?limit=&cursor=`` (keyset by id) or ``?limit=&page=`` (pages from 1).

The cursor is the last id seen, as an opaque string: lists are ordered by id, so a cursor stays correct while
rows are added or deleted; ``page`` is there for people clicking through a table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from mailhub.api.errors import ApiError

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    after_id: int | None
    page: int | None


def page_request(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page."),
    cursor: str | None = Query(None, max_length=32, description="`next_cursor` from the previous page."),
    page: int | None = Query(None, ge=1, le=1_000_000, description="Page number from 1 (instead of a cursor)."),
) -> PageRequest:
    """The paging asked for; a cursor and a page together, or a cursor we did not hand out, are refused."""
    if cursor is not None and page is not None:
        raise ApiError(
            422, "pagination_conflict", "Give either cursor or page, not both.", "cursor 与 page 只能二选一。"
        )
    after_id = None
    if cursor is not None:
        if not cursor.isascii() or not cursor.isdigit() or int(cursor) > MAX_ID:
            raise ApiError(422, "cursor_invalid", "This cursor was not handed out by the API.", "该游标无效。")
        after_id = int(cursor)
    return PageRequest(limit, after_id, page)


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, the cursor for the next page (null at the end), and the total."""

    items: list[T]
    next_cursor: str | None
    total: int | None = None  # null where counting would cost a scan (messages, events)
    limit: int
    page: int | None = None


def paginate(
    items: Sequence[Any], request: PageRequest, key: Callable[[Any], int], *, newest_first: bool = False
) -> dict[str, Any]:
    """Cut ``items`` (sorted by ``key``, ascending or with ``newest_first`` descending) to the asked page."""
    total = len(items)
    if request.page is not None:
        start = (request.page - 1) * request.limit
        chunk = list(items[start : start + request.limit])
        more = start + request.limit < total
    else:
        after = request.after_id

        def beyond(item: Any) -> bool:
            return after is None or (key(item) < after if newest_first else key(item) > after)

        remaining = [item for item in items if beyond(item)]
        chunk = remaining[: request.limit]
        more = len(remaining) > request.limit
    next_cursor = str(key(chunk[-1])) if more and chunk else None
    return {"items": chunk, "next_cursor": next_cursor, "total": total, "limit": request.limit, "page": request.page}


def offset_page(fetch: Callable[[int, int], list[Any]], request: PageRequest) -> dict[str, Any]:
    """A page of a list read with LIMIT/OFFSET (``fetch(limit, offset)``); the cursor is the next offset."""
    offset = (request.page - 1) * request.limit if request.page is not None else (request.after_id or 0)
    chunk = fetch(request.limit + 1, offset)  # one more tells whether another page follows
    more = len(chunk) > request.limit
    next_cursor = str(offset + request.limit) if more and offset + request.limit <= MAX_ID else None
    return {"items": chunk[: request.limit], "next_cursor": next_cursor, "limit": request.limit, "page": request.page}
