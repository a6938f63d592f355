"""Which optional calls a provider lacks, learnt once per client, and what is done instead.

Servers without some calls
--------------------------
Not every OpenAI-compatible server has ``/active-models``, ``/model-config`` or file
listing. A 404/405/501 there is not an error: ``active_models`` falls back to
``GET /models``; ``model_config`` falls back to the bare model ids. A provider known
to have only ``GET /models`` (OpenAI's, ``standard_models``) is asked that alone.

Without ``GET /files`` (listing), ``find_files``/``files_by_name`` find files through
batches instead: every distinct ``input_file_id`` in ``GET /batches`` is looked up once
per client with ``GET /files/{id}`` (a 404 there is skipped) and matched by filename,
with one warning per client. This keeps adoption, and so "never a second batch",
working after a lost state; only a file uploaded but never used in a batch is not
found (uploading it again is free). Without batch listing either, ``find_files`` and
``find_batches`` return ``[]`` and log one warning per client, so adoption of earlier
uploads is skipped rather than crashing (``supports_file_listing`` tells which).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Protocol

from specrun.client._answers import build, list_entries
from specrun.client._models import Batch, FileObject, ModelConfig, check_model_id
from specrun.errors import APIError

if TYPE_CHECKING:
    from specrun.client._sender import Sender

__all__ = ["Capabilities", "Listings", "is_unsupported"]

logger = logging.getLogger("specrun.client")

#: The answers that mean "this server has no such call" (not "this call failed").
_UNSUPPORTED = (404, 405, 501)


def is_unsupported(exc: APIError) -> bool:
    """The provider has no such call (404/405/501), as opposed to the call failing."""
    return exc.status_code in _UNSUPPORTED


class Listings(Protocol):
    """The client's own calls the fallbacks are made of."""

    def iter_files(self) -> Iterator[FileObject]: ...
    def iter_batches(self) -> Iterator[Batch]: ...
    def get_file(self, file_id: str) -> FileObject: ...


class _NoFileLookup(Exception):
    """``GET /files/{id}`` is not supported (405/501): files cannot be found through batches."""

    def __init__(self, status_code: int | None) -> None:
        super().__init__(status_code)
        self.status_code = status_code


class Capabilities:
    """What one provider answers, found out on first use and remembered by this client.

    Each ``*_supported`` flag is None until tried, then True or False. The searches
    here (models, files by name, batches by input file) go the best way the provider
    allows, falling back as the module docstring says.
    """

    def __init__(self, sender: Sender, listings: Listings, *, standard_models: bool = False) -> None:
        self._sender = sender
        self._listings = listings
        self._standard_models = standard_models  # only GET /models: no /active-models, /model-config
        self.file_listing_supported: bool | None = None
        self.batch_listing_supported: bool | None = None
        self.file_lookup_supported: bool | None = None
        # Finding files through batches (no file listing): GET /files/{id} answers,
        # None for a file that is gone; why files are unlisted; warnings given.
        self._files_by_id: dict[str, FileObject | None] = {}
        self._files_unlisted_why = ""
        self._warned_files_via_batches = False
        self._warned_no_file_search = False

    # ------------------------------------------------------------------ models

    def active_models(self) -> list[str]:
        """Ids from ``/active-models``, or from ``/models`` when there is none."""
        if self._standard_models:
            response = self._sender.send("GET", "models")
        else:
            try:
                response = self._sender.send("GET", "active-models")
            except APIError as exc:
                if not is_unsupported(exc):
                    raise
                logger.debug("no /active-models on this provider; using /models")
                response = self._sender.send("GET", "models")
        ids = []
        for item in list_entries(response, "active_models", "data", "models"):
            if isinstance(item, Mapping):
                item = item.get("id") or item.get("model_code")
            ids.append(build(response, check_model_id, item))
        return ids

    def model_config(self) -> list[ModelConfig]:
        """``/model-config``, or bare ``ModelConfig(id=...)`` entries when there is none."""
        if self._standard_models:
            return [ModelConfig(id=model_id, raw={"id": model_id}) for model_id in self.active_models()]
        try:
            response = self._sender.send("GET", "model-config")
        except APIError as exc:
            if not is_unsupported(exc):
                raise
            logger.debug("no /model-config on this provider; using the model list")
            return [ModelConfig(id=model_id, raw={"id": model_id}) for model_id in self.active_models()]
        items = list_entries(response, "active_models", "data", "models")
        return [build(response, ModelConfig.from_dict, item) for item in items]

    # ------------------------------------------------------------------- files

    def search_files(self, match: Callable[[str], bool]) -> list[FileObject]:
        """Files whose name ``match`` accepts: by listing files, else through batches."""
        if self.file_listing_supported is False:
            return self._files_through_batches(match)
        found: list[FileObject] = []
        try:
            for f in self._listings.iter_files():
                if f.filename is not None and match(f.filename):
                    found.append(f)
        except APIError as exc:
            if not is_unsupported(exc):
                raise
            self.file_listing_supported = False
            self._files_unlisted_why = f"{exc.status_code} {self._sender.path('files')}"
            return self._files_through_batches(match)
        self.file_listing_supported = True
        return found

    def _files_through_batches(self, match: Callable[[str], bool]) -> list[FileObject]:
        """File search for a provider without file listing: the input files of its
        batches, each looked up once per client, matched by filename."""
        found: list[FileObject] = []
        if self.batch_listing_supported is False:
            self._warn_no_file_search("nor batches")
            return found
        if self.file_lookup_supported is False:
            self._warn_no_file_search(f"nor answers {self._sender.path('files')}/{{id}}")
            return found
        seen: set[str] = set()
        try:
            for batch in self._listings.iter_batches():
                file_id = batch.input_file_id
                if not file_id or file_id in seen:
                    continue
                seen.add(file_id)
                f = self._cached_file(file_id)
                if f is not None and f.filename is not None and match(f.filename):
                    found.append(f)
        except _NoFileLookup as exc:
            self.file_lookup_supported = False
            self._warn_no_file_search(f"nor answers {self._sender.path('files')}/{{id}} ({exc.status_code})")
            return []
        except APIError as exc:
            if not is_unsupported(exc):
                raise
            self.batch_listing_supported = False
            self._warn_no_file_search(f"nor batches ({exc.status_code} {self._sender.path('batches')})")
            return []
        self.batch_listing_supported = True
        if not self._warned_files_via_batches:
            self._warned_files_via_batches = True
            logger.warning(
                "the provider does not list files (%s): looking for files uploaded earlier through "
                "its batches instead (one %s/{id} per batch input file); a file uploaded but never "
                "used in a batch is not found", self._files_unlisted_why, self._sender.path("files"))
        found.sort(key=lambda f: f.created_at or 0, reverse=True)  # newest first, stable
        return found

    def _cached_file(self, file_id: str) -> FileObject | None:
        """``get_file``, once per client; None for a file that is gone (404/410)."""
        if file_id in self._files_by_id:
            return self._files_by_id[file_id]
        try:
            f: FileObject | None = self._listings.get_file(file_id)
        except APIError as exc:
            if exc.status_code in (405, 501):
                raise _NoFileLookup(exc.status_code) from exc
            if exc.status_code not in (404, 410):
                raise
            f = None
        self.file_lookup_supported = True
        self._files_by_id[file_id] = f
        return f

    def _warn_no_file_search(self, also: str) -> None:
        if self._warned_no_file_search:
            return
        self._warned_no_file_search = True
        logger.warning(
            "the provider does not list files (%s) %s: cannot look for files uploaded "
            "earlier, so they are not reused", self._files_unlisted_why, also)

    # ----------------------------------------------------------------- batches

    def batches_by_input_file(self, wanted: set[str]) -> dict[str, list[Batch]]:
        """Batches per input file id, newest first; empty lists when batches are unlistable."""
        found: dict[str, list[Batch]] = {file_id: [] for file_id in wanted}
        if wanted:
            for b in self.search_batches(lambda b: b.input_file_id in wanted):
                found[b.input_file_id].append(b)  # type: ignore[index]
        return found

    def search_batches(self, match: Callable[[Batch], bool]) -> list[Batch]:
        """Batches ``match`` accepts, in listing order (newest first); ``[]`` when unlistable."""
        if self.batch_listing_supported is False:
            return []
        try:
            found = [b for b in self._listings.iter_batches() if match(b)]
        except APIError as exc:
            if not is_unsupported(exc):
                raise
            self.batch_listing_supported = False
            logger.warning("the provider does not list batches (%s %s): cannot look for batches "
                           "created earlier", exc.status_code, self._sender.path("batches"))
            return []
        self.batch_listing_supported = True
        return found
