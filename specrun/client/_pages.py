"""Listing page by page: page sizes, cursors, and walking every page lazily.

A list answer is ``{"data": [...], "has_more": ..., "first_id": ..., "last_id": ...}``
(OpenAI's shape); a bare array is one page with no cursor. The next page is asked for
with ``after=<last_id>``. A server that ignores ``after`` would hand back the same page
forever, so the walk stops (with a warning) when a page ends where the last one did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx

from specrun._text import quoted, safe
from specrun.client._answers import build, list_entries, read_json
from specrun.client._models import Page
from specrun.errors import ProviderError

__all__ = ["BATCHES_PAGE_LIMIT", "FILES_PAGE_LIMIT", "iterate", "read_page"]

logger = logging.getLogger("specrun.client")

T = TypeVar("T")

#: The API's maximum page size for ``GET /files``.
FILES_PAGE_LIMIT = 10_000
#: Page size for ``GET /batches`` (OpenAI's maximum; servers without paging ignore it).
BATCHES_PAGE_LIMIT = 100


def read_page(response: httpx.Response, make: Callable[[Mapping[str, Any]], T]) -> Page[T]:
    """One page of a list answer, its entries built with ``make``."""
    body = read_json(response)
    items = [build(response, make, item) for item in list_entries(response, "data", body=body)]
    cursors = body if isinstance(body, Mapping) else {}
    first_id = build(response, _cursor, cursors.get("first_id")) or (items[0].id if items else None)  # type: ignore[attr-defined]
    last_id = build(response, _cursor, cursors.get("last_id")) or (items[-1].id if items else None)  # type: ignore[attr-defined]
    return Page(data=items, has_more=bool(cursors.get("has_more")), first_id=first_id, last_id=last_id)


def iterate(fetch: Callable[[str | None], Page[T]], what: str) -> Iterator[T]:
    """Every entry of every page, ``fetch(after)`` giving the page after a cursor."""
    after: str | None = None
    while True:
        page = fetch(after)
        if after is not None and page.last_id == after:
            logger.warning("the provider ignored the `after` cursor on %s; stopping the listing", what)
            return
        yield from page.data
        if not page.has_more or not page.data or not page.last_id:
            return
        after = page.last_id


def _cursor(value: Any) -> str | None:
    """A page cursor (``first_id``/``last_id``), or None when absent.

    Only ever sent back as the ``after`` query parameter, so any printable text up to
    1,024 characters will do (some servers use opaque base64 cursors, not ids).
    """
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or len(value) > 1024 or safe(value, None) != value:
        raise ProviderError(f"provider returned an invalid list cursor {quoted(value)}: expected an id")
    return value
