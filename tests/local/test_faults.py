"""Fault injection, in both modes: rates, Retry-After, late faults, latency, seeds."""

from __future__ import annotations

import time
from collections import Counter

import httpx
import pytest

from conftest import requests_file, upload


def _statuses(client: httpx.Client, calls: int) -> Counter:
    return Counter(client.get("/active-models").status_code for _ in range(calls))


@pytest.mark.parametrize("mode", ["embedded", "served"])
def test_fault_rate_answers_that_share_of_calls_with_server_errors(embedded, served, mode):
    options = dict(fault_rate=0.3, fault_seed=7, fault_retry_after=0.05)
    client = embedded(**options) if mode == "embedded" else httpx.Client(base_url=served(**options).url)
    statuses = _statuses(client, 600)
    faults = sum(n for status, n in statuses.items() if status != 200)
    assert 0.22 < faults / 600 < 0.38, statuses
    assert set(statuses) <= {200, 429, 500, 502, 503}
    assert all(statuses[s] > 0 for s in (429, 500, 502, 503)), statuses


def test_faults_carry_retry_after_and_error_bodies(embedded):
    client = embedded(fault_rate=1.0, fault_seed=1, fault_retry_after=0.05)
    seen = {}
    for _ in range(60):
        response = client.get("/batches")
        seen[response.status_code] = response
    assert set(seen) == {429, 500, 502, 503}
    for status in (429, 503):
        assert seen[status].headers["retry-after-ms"] == "50"
        assert seen[status].headers["retry-after"] == "1"
    assert seen[429].json()["error"]["code"] == "rate_limit_exceeded"
    assert seen[500].json()["error"]["type"] == "server_error"


def test_same_seed_same_faults(embedded, tmp_path):
    first = embedded(tmp_path / "a", fault_rate=0.5, fault_seed=42)
    second = embedded(tmp_path / "b", fault_rate=0.5, fault_seed=42)
    assert [first.get("/files").status_code for _ in range(50)] == \
           [second.get("/files").status_code for _ in range(50)]


@pytest.mark.parametrize("mode", ["embedded", "served"])
def test_late_faults_do_the_work_then_answer_500(embedded, served, mode):
    options = dict(late_fault_rate=1.0, fault_seed=3)
    client = embedded(**options) if mode == "embedded" else httpx.Client(base_url=served(**options).url)
    response = client.post("/files", files={"file": ("lost.jsonl", requests_file(1))}, data={"purpose": "batch"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "injected_late_fault"
    files = client.get("/files").json()["data"]  # GETs are not affected
    assert [f["filename"] for f in files] == ["lost.jsonl"]
    assert client.post("/batches", json={"input_file_id": files[0]["id"]}).status_code == 500
    assert len(client.get("/batches").json()["data"]) == 1


def test_late_fault_rate_share(embedded):
    client = embedded(late_fault_rate=0.25, fault_seed=11)
    outcomes = Counter(client.post("/batches", json={}).status_code for _ in range(400))
    # A request that fails on its own merits is answered honestly, never replaced by a late fault.
    assert outcomes == {400: 400}
    outcomes = Counter(upload_status(client) for _ in range(200))
    assert 0.15 < outcomes[500] / 200 < 0.35, outcomes


def upload_status(client: httpx.Client) -> int:
    return client.post("/files", files={"file": ("x.jsonl", b"{}\n")}).status_code


def test_latency_delays_every_call(embedded):
    client = embedded(latency_ms=40)
    started = time.monotonic()
    for _ in range(5):
        client.get("/files")
    assert time.monotonic() - started >= 0.2
    upload(client, b"{}\n")  # still works
