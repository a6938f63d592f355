"""Endpoints per job end to end (DESIGN §10): embeddings and responses jobs through the real CLI.

The CLI runs in-process (``cli``) on the embedded local provider's echo engine (and once
against a real ``specrun serve``). What the provider was sent is read back from the
provider itself (every batch's input file), never from specrun's state or ledger.
"""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

from tests.e2e.conftest import MODEL, Result, plan_jobs, read_results, uploaded

EMBED_MODEL = "BAAI/bge-m3"


def write_spec(root: Path, jobs: str, *, provider: str = "local") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    spec = root / "specrun.yaml"
    spec.write_text(f"version: 1\nprovider: {provider}\ndefaults: {{model: {MODEL}, params: {{max_tokens: 64}}}}\n"
                    "jobs:\n" + textwrap.indent(textwrap.dedent(jobs).strip("\n"), "  ") + "\n", encoding="utf-8")
    return spec


def embed_job(words: list[str], extra: str = "") -> str:
    return (f"embed:\n  endpoint: /v1/embeddings\n  model: {EMBED_MODEL}\n  input: \"Text: {{{{ row.w }}}}\"\n"
            f"  params: {{dimensions: 8}}\n  rows: {json.dumps([{'w': w} for w in words])}\n{extra}")


def respond_job(words: list[str], extra: str = "") -> str:
    return ("respond:\n  endpoint: /v1/responses\n  input: \"Say {{ row.w }}\"\n"
            f"  params: {{max_output_tokens: 40, instructions: Be brief.}}\n"
            f"  rows: {json.dumps([{'w': w} for w in words])}\n{extra}")


def apply(cli, cwd: Path, *args: str) -> Result:
    result = cli("apply", "--auto-approve", "--poll-interval", "0.1", *args, cwd=cwd)
    assert result.code == 0, result.stdout + result.stderr
    return result


def sent(cli, cwd: Path) -> list[dict]:
    """Every request line of every batch's input file on the provider, with its batch's endpoint."""
    return [{**line, "batch_endpoint": batch["endpoint"]} for batch, line in uploaded(cli, cwd)]


def test_an_embeddings_job_joins_vectors_and_an_edit_sends_one_request(tmp_path, cli):
    project = tmp_path / "p"
    write_spec(project, embed_job(["alpha", "beta", "gamma"]))
    planned = plan_jobs(cli, project)["embed"]
    assert (planned["action"], planned["requests"], planned["to_send"]) == ("create", 3, 3)
    human = cli("plan", cwd=project)
    assert "+ embed" in human.stdout and "3 requests" in human.stdout and "≤0 output tokens" in human.stdout

    applied = apply(cli, project)
    assert "ok embed: 3 ok, 0 error" in applied.stdout
    rows = read_results(project / "results" / "embed.jsonl")
    assert [row["row"]["w"] for row in rows] == ["alpha", "beta", "gamma"]
    for row in rows:
        assert row["status"] == "ok" and row["content"] is None and len(row["embedding"]) == 8
        assert abs(math.sqrt(sum(x * x for x in row["embedding"])) - 1) < 1e-6
        assert row["usage"]["prompt_tokens"] > 0
    lines = sent(cli, project)
    assert {(line["url"], line["batch_endpoint"]) for line in lines} == {("/v1/embeddings", "/v1/embeddings")}
    assert sorted(line["body"]["input"] for line in lines) == ["Text: alpha", "Text: beta", "Text: gamma"]

    again = apply(cli, project)
    assert "No changes." in again.stdout

    write_spec(project, embed_job(["alpha", "BETA", "gamma"]))
    planned = plan_jobs(cli, project)["embed"]
    assert (planned["action"], planned["to_send"], planned["reused"]) == ("update", 1, 2)
    edited = apply(cli, project)
    assert "sent 1 request" in edited.stdout
    assert sorted(line["body"]["input"] for line in sent(cli, project)) == [
        "Text: BETA", "Text: alpha", "Text: beta", "Text: gamma"]  # one more request, no more
    after = read_results(project / "results" / "embed.jsonl")
    assert [row["reused"] for row in after] == [True, False, True]
    assert after[0]["embedding"] == rows[0]["embedding"] and after[1]["embedding"] != rows[1]["embedding"]


def test_a_responses_job_joins_the_answer_text_with_structured_output(tmp_path, cli):
    project = tmp_path / "p"
    schema = "  output_schema: {type: object, properties: {say: {type: string}}, required: [say]}\n"
    write_spec(project, respond_job(["hi", "bye"]) + respond_job(["x"], schema).replace("respond:", "shaped:", 1)
               .replace("[{\"w\": \"x\"}]", "[{\"w\": \"hello\"}]"))
    planned = plan_jobs(cli, project)
    assert planned["respond"]["to_send"] == 2 and planned["shaped"]["to_send"] == 1
    applied = apply(cli, project)
    assert "ok respond: 2 ok, 0 error" in applied.stdout and "ok shaped: 1 ok, 0 error" in applied.stdout
    rows = read_results(project / "results" / "respond.jsonl")
    assert [row["content"] for row in rows] == ["echo: Say hi", "echo: Say bye"]
    assert "embedding" not in rows[0]  # the chat shape, exactly
    assert set(rows[0]["usage"]) >= {"prompt_tokens", "completion_tokens", "total_tokens"}
    [shaped] = read_results(project / "results" / "shaped.jsonl")
    assert shaped["parsed"] == {"say": "echo: Say hello"} and json.loads(shaped["content"]) == shaped["parsed"]
    bodies = {line["body"]["input"]: line for line in sent(cli, project)}
    assert bodies["Say hi"]["url"] == bodies["Say hi"]["batch_endpoint"] == "/v1/responses"
    assert bodies["Say hi"]["body"]["max_output_tokens"] == 40 and "max_tokens" not in bodies["Say hi"]["body"]
    assert bodies["Say hello"]["body"]["text"]["format"]["type"] == "json_schema"
    assert "No changes." in apply(cli, project).stdout


def test_a_downstream_job_reads_an_embeddings_jobs_vectors(tmp_path, cli):
    project = tmp_path / "p"
    downstream = ("describe:\n  data: {job: embed}\n  messages: [{role: user, content: "
                  "\"{{ row.row.w }}: {{ row.embedding | length }} numbers, first {{ row.embedding[0] }}\"}]\n")
    write_spec(project, embed_job(["one", "two"], "  exports: [results/embed.csv]\n") + downstream)
    apply(cli, project)
    vectors = read_results(project / "results" / "embed.jsonl")
    described = read_results(project / "results" / "describe.jsonl")
    assert [row["content"] for row in described] == [
        f"echo: {w}: 8 numbers, first {vector['embedding'][0]}" for w, vector in zip(["one", "two"], vectors)]
    header, first, _ = (project / "results" / "embed.csv").read_text().splitlines()
    assert header.split(",")[9] == "embedding" and json.loads(first.split('"')[1]) == vectors[0]["embedding"]


def test_a_wrong_combination_is_one_error_and_nothing_runs(tmp_path, cli):
    project = tmp_path / "p"
    write_spec(project, "embed:\n  endpoint: /v1/embeddings\n  messages: [{role: user, content: x}]\n"
                               "  rows: [{w: a}]\n")
    for command in ("validate", "plan", "apply"):
        result = cli(command, *(["--auto-approve"] if command == "apply" else []), cwd=project)
        assert result.code == 1, result.stdout
        assert result.stderr.count("jobs.embed.messages:") == 1 and "1 problem" in result.stderr
        assert "specrun.yaml:7: jobs.embed.messages: job 'embed' uses /v1/embeddings, which takes input:" \
            in result.stderr
    write_spec(project, "embed:\n  endpoint: /v1/embeddings\n  rows: [{w: a}]\n")
    result = cli("validate", cwd=project)
    assert result.code == 1 and "specrun.yaml:5: jobs.embed: no input (job 'embed' uses /v1/embeddings" \
        in result.stderr
    assert not (project / ".specrun").exists()  # refused before any state, build or provider data


def test_embeddings_and_responses_against_specrun_serve(tmp_path, cli, server):
    project = tmp_path / "p"
    write_spec(project, embed_job(["a", "b"]) + respond_job(["c"]), provider=f"{{base_url: {server.url}}}")
    applied = apply(cli, project)
    assert "ok embed: 2 ok, 0 error" in applied.stdout and "ok respond: 1 ok, 0 error" in applied.stdout
    assert sorted(batch["endpoint"] for batch in server.batches()) == ["/v1/embeddings", "/v1/responses"]
    assert all(len(row["embedding"]) == 8 for row in read_results(project / "results" / "embed.jsonl"))
    assert read_results(project / "results" / "respond.jsonl")[0]["content"] == "echo: Say c"
    assert "No changes." in apply(cli, project).stdout
