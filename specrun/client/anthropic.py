"""``provider: {type: anthropic}``: Anthropic Message Batches behind specrun's ``Provider`` seam.

The core plans and applies in files and batches (upload a shard, create its batch,
download its output). Message Batches have no files: the requests go inline with
the create call, and results stream from the batch's ``results_url``. So:

- an upload is a local copy in a content-named store (``_anthropic_store.FileStore``);
- ``create_batch`` turns that file's lines into ``{"requests": [{custom_id, params}]}``
  (``_anthropic_wire.request_params``), at most 100,000 requests / 256 MB (checked
  before anything is sent);
- a batch's results are offered as two result "files", ``<id>.succeeded`` and
  ``<id>.errored``, converted to OpenAI output lines as they download.

**A lost creation answer.** The API keeps no file id and no metadata on a batch, so
nothing on the provider says which shard a batch holds while it runs. specrun
resolves it with a journal written before and after every create (``Journal``, kept
outside ``.specrun/``) and with what the API does show: request counts, creation times
and, once a batch has ended, its results' custom_ids (specrun's custom_ids are the
requests' ledger keys). A file whose batch the journal or the state knows is simply
that batch's. A file is looked for among the others only with a reason to: the
journal holds an intent for it (a create whose answer was lost), or the state records
it without a batch (a run stopped after keeping it, perhaps on another machine). Then:

1. the batches created in the last 25 hours (every batch that can still run) that
   neither the journal nor the state knows are listed, and those with exactly the
   file's request count are the candidates;
2. an ended candidate whose results hold exactly the file's custom_ids *is* its
   batch: adopted;
3. with an intent, a single running candidate created within the POST's time window
   is adopted: under the state lock nothing else of this spec creates batches, and
   its count matches exactly;
4. any other running candidate makes specrun stop and name it (id, count, creation
   time): it may be this shard's, created by a run whose journal is elsewhere, and
   only its results can tell. Nothing is created, so nothing is paid twice;
5. no candidate and an intent: if the request body never left this process whole,
   or the API answered (an error status: the create was over), nothing was created;
   if the answer was lost in transit, specrun waits until the API has surely
   finished (the request timeout plus a minute after the body was sent) before it
   concludes so, and says when to run again.

A brand-new shard file is created without a look at the others: a same-size batch of
another spec (or tool) on the same account is not this spec's, and stopping for it
would stop every team that runs several specs at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from specrun._crash import crash_point
from specrun._files import atomic_write_chunks
from specrun.client._answers import parse_object
from specrun.client._anthropic_store import FileStore, Intent, Journal, StoredFile
from specrun.client._anthropic_wire import (
    ENDPOINT,
    ERROR_SUFFIX,
    MAX_BYTES,
    MAX_REQUESTS,
    OUTPUT_SUFFIX,
    batch_from,
    output_line,
    request_params,
)
from specrun.client._client import SenderClient, segment
from specrun.client._config import normalise_api_root
from specrun.client._models import Batch, FileObject, ModelConfig, Page
from specrun.client._pages import iterate, read_page
from specrun.client._retry import RetryPolicy
from specrun.client._sender import Sender
from specrun.errors import NotFound, OutcomeUnknown, SpecrunError

__all__ = ["AnthropicClient", "ANTHROPIC_VERSION"]

log = logging.getLogger("specrun.client")

ANTHROPIC_VERSION = "2023-06-01"
_CUSTOM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LIVE_HORIZON = 25 * 3600      # a batch runs at most 24 hours: older ones cannot still run
_CLOCK_SKEW = 120.0            # between this machine's clock and the API's created_at
_PAGE = 1000
T = TypeVar("T")


class AnthropicClient(SenderClient):
    """Message Batches as a ``specrun.provider.Provider`` (see the module docstring).

    ``data_dir`` holds the file store (``<spec dir>/.specrun/anthropic``), ``journal_dir``
    the journal (default: ``data_dir``; specrun keeps it outside ``.specrun/``, so a lost
    ``.specrun/`` does not lose it); one folder per API root in each.
    """

    provider_type = "anthropic"

    def __init__(self, base_url: str, api_key: str | None, *, data_dir: Path, journal_dir: Path | None = None,
                 transport: Any = None, timeout: float = 60.0, api_key_env: str = "ANTHROPIC_API_KEY",
                 retry_policy: RetryPolicy | None = None, max_retries: int = 5,
                 max_retry_seconds: float = 120.0) -> None:
        self.base_url = normalise_api_root(base_url)
        policy = retry_policy or RetryPolicy(max_retries=max_retries, max_retry_seconds=max_retry_seconds)
        self._sender = Sender(self.base_url + "/v1", api_key or None, transport=transport, timeout=timeout,
                              retry_policy=policy, api_key_env=api_key_env,
                              auth=lambda key: {"x-api-key": key},
                              headers={"anthropic-version": ANTHROPIC_VERSION})
        api = hashlib.sha256(self.base_url.encode()).hexdigest()[:12]
        self.files = FileStore(Path(data_dir) / api)
        self.journal = Journal.open(Path(journal_dir or data_dir) / api)
        self._known: dict[str, str | None] = {}            # batch id -> file id, as the state records them
        self._unfinished: set[str] = set()                 # files the state records without a batch
        self._custom_ids: dict[str, frozenset[str]] = {}   # ended batch -> its results' custom_ids
        self._spares: dict[tuple[str, str], Path] = {}     # (batch, half) -> converted, not yet asked for

    def __repr__(self) -> str:
        return f"AnthropicClient(base_url={self.base_url!r})"

    def remember(self, batches: Mapping[str, str | None], unfinished: Iterable[str] = ()) -> None:
        """Batches the state records (id -> input file id): known, so never a stranger's; and
        files it records without a batch (a run stopped, here or elsewhere, after keeping the
        file and perhaps after creating its batch): those are looked for among the strangers."""
        self._known.update(batches)
        self._unfinished.update(unfinished)

    # ------------------------------------------------------------------ models

    def _page(self, relative: str, make: Callable[[Mapping[str, Any]], T], after: str | None,
              limit: int = _PAGE) -> Page[T]:
        """One page of an Anthropic list (``limit``, ``after_id``; the answer has OpenAI's cursors)."""
        params: dict[str, Any] = {"limit": limit, **({"after_id": after} if after else {})}
        return read_page(self._sender.send("GET", relative, params=params), make)

    def model_config(self) -> list[ModelConfig]:
        """``GET /v1/models``, every page: bare entries, the API publishes no prices (give
        them under ``prices:``)."""
        return list(iterate(lambda after: self._page("models", ModelConfig.from_dict, after), "models"))

    def active_models(self) -> list[str]:
        return [model.id for model in self.model_config()]

    # ------------------------------------------------------------------- files

    def upload_file(self, path: Path, *, filename: str | None = None, purpose: str = "batch") -> FileObject:
        """Keep the request file for its batch (no call: the requests go inline on create)."""
        try:
            stored = self.files.put(Path(path), filename or Path(path).name)
        except OSError as exc:
            raise SpecrunError(f"cannot keep {path} for its batch: {exc.strerror or exc}") from exc
        return FileObject.from_dict(stored.as_dict())

    def _search_files(self, match: Callable[[str], bool]) -> list[FileObject]:
        return [FileObject.from_dict(f.as_dict()) for f in self.files.all() if match(f.filename)]

    def iter_files(self, *, limit: int | None = None, order: str | None = None) -> Iterator[FileObject]:
        files = self._search_files(lambda _name: True)
        return iter(files[::-1] if order == "asc" else files)

    def get_file(self, file_id: str) -> FileObject:
        return FileObject.from_dict(self._stored(file_id).as_dict())

    def _stored(self, file_id: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None:
            raise NotFound(f"file {file_id} is not in specrun's Anthropic file store ({self.files.root})",
                           status_code=404)
        return stored

    def download_file(self, file_id: str, dest: Path) -> int:
        """A batch's results half (``<id>.succeeded`` / ``<id>.errored``) as OpenAI output lines,
        or a stored request file. Written beside ``dest`` and renamed into place."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        for suffix, kind in ((OUTPUT_SUFFIX, "succeeded"), (ERROR_SUFFIX, "errored")):
            if file_id.endswith(suffix):
                return self._download_results(file_id[:-len(suffix)], kind, dest)
        return atomic_write_chunks(dest, self.files.lines(self._stored(file_id).id))

    def _raw_results(self, batch_id: str, folder: Path) -> Path:
        """The batch's results JSONL as the API sends it, in a temp file in ``folder``."""
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{batch_id}.", suffix=".results")
        os.close(fd)
        try:
            self._sender.download(f"messages/batches/{segment(batch_id)}/results", Path(temp), what=batch_id)
        except BaseException:
            os.unlink(temp)
            raise
        return Path(temp)

    def _download_results(self, batch_id: str, kind: str, dest: Path) -> int:
        """One half of the batch's results. They are fetched once: the other half is kept
        beside ``dest`` (until ``close``) for when it is asked for."""
        spare = self._spares.pop((batch_id, kind), None)
        if spare is not None and spare.exists():
            shutil.move(spare, dest)
            return dest.stat().st_size
        other = "errored" if kind == "succeeded" else "succeeded"
        raw = self._raw_results(batch_id, dest.parent)
        spare = dest.parent / f".{batch_id}.{other}.spare"
        try:
            with raw.open("rb") as handle, spare.open("wb") as rest:
                def asked() -> Iterator[bytes]:
                    for record in handle:
                        found, line = output_line(record) if record.strip() else ("", None)
                        if line is not None and found == kind:
                            yield line
                        elif line is not None:
                            rest.write(line)

                written = atomic_write_chunks(dest, asked())
            if spare.stat().st_size:
                self._spares[(batch_id, other)], spare = spare, None
            return written
        finally:
            raw.unlink(missing_ok=True)
            if spare is not None:
                spare.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the connection pool, and drop result halves nobody asked for."""
        super().close()
        for spare in self._spares.values():
            spare.unlink(missing_ok=True)
        self._spares.clear()

    # ----------------------------------------------------------------- batches

    def _file_of(self, batch_id: str) -> str | None:
        return self.journal.batches.get(batch_id) or self._known.get(batch_id)

    def get_batch(self, batch_id: str) -> Batch:
        return parse_object(self._sender.send("GET", f"messages/batches/{segment(batch_id)}"), self._batch)

    def _batch(self, data: Mapping[str, Any]) -> Batch:
        return batch_from(data, self._file_of(str(data.get("id"))))

    def list_batches(self, *, limit: int | None = None, after: str | None = None) -> Page[Batch]:
        """One page of ``GET /v1/messages/batches`` (newest first)."""
        return self._page("messages/batches", self._batch, after, limit=max(1, min(int(limit or 20), _PAGE)))

    def iter_batches(self, *, limit: int | None = None) -> Iterator[Batch]:
        return iterate(lambda after: self.list_batches(limit=limit or _PAGE, after=after), "message batches")

    def cancel_batch(self, batch_id: str) -> Batch:
        response = self._sender.send("POST", f"messages/batches/{segment(batch_id)}/cancel")
        return parse_object(response, self._batch)

    def delete_batch(self, batch_id: str) -> Batch | None:
        """``DELETE`` an ended batch (the API refuses running ones: cancel those first)."""
        self._sender.send("DELETE", f"messages/batches/{segment(batch_id)}")
        return None

    def create_batch(self, input_file_id: str, *, endpoint: str = ENDPOINT, completion_window: str = "24h",
                     metadata: Mapping[str, str] | None = None) -> Batch:
        """``POST /v1/messages/batches`` with the file's requests; journaled before and after.

        ``completion_window`` and ``metadata`` have no place in this API (a batch runs
        at most 24 hours). May raise ``OutcomeUnknown``: never retried blindly.
        """
        if endpoint != ENDPOINT:
            raise SpecrunError(f"type anthropic has no {endpoint} endpoint: only {ENDPOINT} (Messages)")
        stored = self.files.get(input_file_id)
        if stored is None:
            raise SpecrunError(f"the requests of file {input_file_id} are not in {self.files.root} any more; "
                               "run `specrun plan` and `specrun apply` again to render them anew")
        if stored.requests > MAX_REQUESTS:
            raise SpecrunError(f"{stored.filename} holds {stored.requests:,} requests; a message batch takes "
                               f"at most {MAX_REQUESTS:,}: lower limits.max_requests")
        body = self._batch_body(input_file_id, stored.filename)
        try:
            size = body.stat().st_size
            if size > MAX_BYTES:
                raise SpecrunError(f"{stored.filename} makes a {size:,}-byte message batch; the API takes at "
                                   f"most {MAX_BYTES:,}: lower limits.max_bytes")
            return self._post_batch(input_file_id, stored.requests, body, size)
        finally:
            body.unlink(missing_ok=True)

    def _batch_body(self, file_id: str, filename: str) -> Path:
        fd, temp = tempfile.mkstemp(dir=self.files.root, prefix=".body.", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(b'{"requests":[')
                for number, raw in enumerate(self.files.lines(file_id)):
                    line = json.loads(raw)
                    custom_id = line.get("custom_id")
                    if not isinstance(custom_id, str) or not _CUSTOM_ID.fullmatch(custom_id):
                        raise SpecrunError(f"{filename}:{number + 1}: custom_id {custom_id!r} is not one "
                                           "Anthropic takes (1-64 letters, digits, _ or -)")
                    request = {"custom_id": custom_id, "params": request_params(line.get("body") or {})}
                    out.write((b"," if number else b"") + json.dumps(request, separators=(",", ":"),
                                                                     ensure_ascii=False).encode())
                out.write(b"]}")
        except BaseException:
            os.unlink(temp)
            raise
        return Path(temp)

    def _post_batch(self, file_id: str, requests: int, body: Path, size: int) -> Batch:
        def content(stack: Any) -> dict[str, Any]:
            handle = stack.enter_context(body.open("rb"))

            def chunks() -> Iterator[bytes]:
                yield from iter(lambda: handle.read(1 << 20), b"")
                self.journal.write("sent", file_id)

            return {"content": chunks(), "headers": {"Content-Type": "application/json",
                                                     "Content-Length": str(size)}}

        attempted = {"method": "POST", "path": self._sender.path("messages/batches"),
                     "input_file_id": file_id, "requests": requests}
        self.journal.write("intent", file_id, requests=requests)
        try:
            response = self._sender.send("POST", "messages/batches", body=content, creating=attempted)
            batch = parse_object(response, lambda data: batch_from(data, file_id), creating=attempted)
        except OutcomeUnknown as exc:
            self.journal.write("lost", file_id, answered=exc.status_code is not None)
            raise
        except SpecrunError:
            self.journal.write("settled", file_id)   # an error answer: the create is over, nothing made
            raise
        crash_point("after-post")
        self.journal.write("created", file_id, batch=batch.id, how="answer")
        return batch

    # ------------------------------------------------- finding a file's batches

    def find_batches(self, input_file_id: str, *, shard: str | None = None) -> list[Batch]:
        return self.batches_by_input_file([input_file_id])[input_file_id]

    def batches_by_input_file(self, input_file_ids: Iterable[str]) -> dict[str, list[Batch]]:
        """Each file's batches, newest first: the known ones fetched, the rest resolved
        by listing (the module docstring's rules)."""
        ids = set(input_file_ids)
        found: dict[str, list[Batch]] = {file_id: [] for file_id in ids}
        known = {**{b: f for b, f in self._known.items() if f}, **self.journal.batches}
        for batch_id, file_id in known.items():
            if file_id in ids:
                try:
                    found[file_id].append(self.get_batch(batch_id))
                except NotFound:
                    log.info("batch %s of %s no longer exists on the provider", batch_id, file_id)
        unsure = [f for f in ids if f in self.journal.intents or (f in self._unfinished and not found[f])]
        if unsure:
            self._resolve(unsure, found, set(known) | set(self._known))
        for batches in found.values():
            batches.sort(key=lambda b: (b.created_at or 0, b.id), reverse=True)
        return found

    def _recent_strangers(self, since: float, known: set[str]) -> list[Batch]:
        strangers = []
        for batch in self.iter_batches():
            if batch.created_at is not None and batch.created_at < since:
                break
            if batch.id not in known:
                strangers.append(batch)
        return strangers

    def _resolve(self, file_ids: list[str], found: dict[str, list[Batch]], known: set[str]) -> None:
        now = time.time()
        intents = self.journal.intents
        since = min([now - _LIVE_HORIZON] + [intents[f].at - _CLOCK_SKEW for f in file_ids if f in intents])
        strangers = self._recent_strangers(since, known)
        taken: set[str] = set()
        for file_id in sorted(file_ids):
            stored, intent = self.files.get(file_id), intents.get(file_id)
            count = stored.requests if stored is not None else (intent.requests if intent else None)
            if count is None:
                continue
            candidates = [b for b in strangers if b.request_counts.total == count and b.id not in taken]
            batch = self._match(file_id, stored, intent, candidates)
            if batch is not None:
                taken.add(batch.id)
                found[file_id].append(batch)
            elif intent is not None:
                self._settle(file_id, now)

    def _match(self, file_id: str, stored: StoredFile | None, intent: Intent | None,
               candidates: list[Batch]) -> Batch | None:
        live = [b for b in candidates if not b.status.is_terminal]
        if stored is not None:
            wanted = self.files.custom_ids(file_id)
            for batch in candidates:
                if batch.status.is_terminal and self._results_ids(batch.id) == wanted:
                    return self._adopt(file_id, batch, "its results hold exactly the file's custom_ids",
                                       certain=True)
        if intent is not None:
            end = (intent.sent_at or intent.at) + self.timeout + _CLOCK_SKEW
            in_window = [b for b in live if b.created_at is not None
                         and intent.at - _CLOCK_SKEW <= b.created_at <= end]
            if len(in_window) == 1 and len(live) == 1:
                return self._adopt(file_id, in_window[0], "the only batch of its size created while the "
                                   "answer was lost")
        if live:
            name = stored.filename if stored is not None else file_id
            listed = "; ".join(f"{b.id} ({b.request_counts.total:,} requests, {b.status.value}, created "
                               f"{_when(b.created_at)})" for b in live)
            raise SpecrunError(
                f"cannot tell whether {name} already has a message batch: an earlier run kept the file and "
                f"stopped, and {listed} has its size but is in neither specrun's journal ({self.journal.path}) "
                "nor its state. The Message Batches API keeps no file or metadata to tell by while a batch "
                "runs. If specrun created it (a run that crashed, or ran on another machine), wait until it "
                "ends and run `specrun apply` again: its results' custom_ids then show it is this shard's and "
                "it is adopted. If it is not this spec's, run again once it ends. Nothing was created.")
        return None

    def _settle(self, file_id: str, now: float) -> None:
        """No candidate for a create whose answer was lost: conclude nothing was made, when sure."""
        intent = self.journal.intents[file_id]
        if intent.sent_at is not None and not intent.answered:
            ready = intent.sent_at + self.timeout + 60.0
            if now < ready:
                raise SpecrunError(
                    f"the answer to creating a message batch for {file_id} was lost {now - intent.at:.0f}s ago "
                    "and no batch of its size is listed yet; the API may still be creating it. Run "
                    f"`specrun apply` again in {ready - now:.0f}s: specrun adopts the batch if it appears and "
                    "creates it otherwise. Nothing was retried.")
        self.journal.write("settled", file_id)
        log.info("the lost create for %s made no batch: it can be created", file_id)

    def _adopt(self, file_id: str, batch: Batch, why: str, *, certain: bool = False) -> Batch:
        self.journal.write("created", file_id, batch=batch.id, how=why)
        (log.info if certain else log.warning)("adopted message batch %s for %s: %s", batch.id, file_id, why)
        return Batch(**{**batch.__dict__, "input_file_id": file_id})

    def _results_ids(self, batch_id: str) -> frozenset[str]:
        if batch_id not in self._custom_ids:
            raw = self._raw_results(batch_id, self.files.root)
            try:
                with raw.open("rb") as handle:
                    self._custom_ids[batch_id] = frozenset(
                        str(json.loads(line).get("custom_id")) for line in handle if line.strip())
            finally:
                raw.unlink(missing_ok=True)
        return self._custom_ids[batch_id]


def _when(epoch: int | None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)) if epoch else "at an unknown time"
