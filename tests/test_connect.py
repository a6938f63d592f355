"""open_client: which provider a run talks to, with which key, under which identity."""

from __future__ import annotations

from pathlib import Path

import pytest

from specrun.connect import LOCAL_BASE_URL, client_for_spec_file, open_client
from specrun.errors import SpecrunError
from specrun.spec import ProviderConfig, Spec


def make_spec(tmp_path: Path, provider: ProviderConfig) -> Spec:
    return Spec(path=tmp_path / "specrun.yaml", base_dir=tmp_path, version=1, provider=provider, vars={}, jobs={})


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("SPECRUN_BASE_URL", "MITHRIL_API_KEY", "TEAM_KEY"):
        monkeypatch.delenv(name, raising=False)


def test_spec_base_url_and_default_key_env(tmp_path, monkeypatch, httpx_mock):
    monkeypatch.setenv("MITHRIL_API_KEY", "sk-1")
    client, identity = open_client(make_spec(tmp_path, ProviderConfig(base_url="https://x.example.com/")), None)
    with client:
        assert identity == client.base_url == "https://x.example.com/v1"
        httpx_mock.add_response(url="https://x.example.com/v1/active-models", json={"active_models": []})
        client.active_models()
    assert httpx_mock.get_request().headers["authorization"] == "Bearer sk-1"


def test_custom_key_env_and_cli_url_wins(tmp_path, monkeypatch, httpx_mock):
    monkeypatch.setenv("TEAM_KEY", "sk-team")
    monkeypatch.setenv("SPECRUN_BASE_URL", "http://env:1")
    spec = make_spec(tmp_path, ProviderConfig(base_url="http://spec:1", api_key_env="TEAM_KEY"))
    client, identity = open_client(spec, "http://cli:2")
    with client:
        assert identity == "http://cli:2/v1"
        assert client.api_key_env == "TEAM_KEY" and client.has_api_key


def test_empty_key_means_no_key(tmp_path, monkeypatch):
    monkeypatch.setenv("MITHRIL_API_KEY", "  ")
    client, _ = open_client(None, "http://h:1")
    with client:
        assert not client.has_api_key


def test_no_spec_uses_env_base_url(monkeypatch):
    monkeypatch.setenv("SPECRUN_BASE_URL", "http://env:1/")
    client, identity = open_client(None, None)
    client.close()
    assert identity == "http://env:1/v1"


def test_no_base_url_anywhere_says_how_to_set_one(tmp_path):
    with pytest.raises(SpecrunError, match="no provider base URL: pass --base-url URL, set SPECRUN_BASE_URL"):
        open_client(make_spec(tmp_path, ProviderConfig()), None)


def test_local_provider_is_embedded(tmp_path):
    spec = make_spec(tmp_path, ProviderConfig(kind="local", local={"engine": "echo"}))
    client, identity = open_client(spec, None)
    with client:
        assert identity == "local" and client.base_url == LOCAL_BASE_URL
        assert client.active_models()  # served in-process, no port
    assert (tmp_path / ".specrun" / "local").is_dir()


def test_local_provider_gets_the_key_and_explicit_url_wins(tmp_path, monkeypatch):
    captured = {}

    def fake_transport(data_dir, **options):
        captured.update(data_dir=data_dir, options=options)
        import httpx

        return httpx.MockTransport(lambda request: httpx.Response(200, json={"active_models": ["m"]}))

    monkeypatch.setattr("specrun.local.embedded_transport", fake_transport)
    monkeypatch.setenv("MITHRIL_API_KEY", "sk-local")
    spec = make_spec(tmp_path, ProviderConfig(kind="local", local={"engine": "echo", "models": ["m"]}))
    client, identity = open_client(spec, None)
    with client:
        assert client.has_api_key and client.active_models() == ["m"]
    assert captured == {"data_dir": tmp_path / ".specrun" / "local", "options": {"engine": "echo", "models": ["m"]}}

    client, identity = open_client(spec, "http://remote:9")
    client.close()
    assert identity == "http://remote:9/v1"


def test_client_from_options_without_a_spec_file(tmp_path, monkeypatch):
    monkeypatch.setenv("SPECRUN_BASE_URL", "http://env:1")
    client, identity = client_for_spec_file(tmp_path / "missing.yaml")
    client.close()
    assert identity == "http://env:1/v1"


def test_type_anthropic_gets_the_message_batches_client_at_the_api_root(tmp_path, monkeypatch, httpx_mock):
    from specrun.client.anthropic import AnthropicClient
    from specrun.spec import provider_config

    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-1")
    spec = make_spec(tmp_path, provider_config({"type": "anthropic"}))
    client, identity = open_client(spec, None)
    with client:
        assert isinstance(client, AnthropicClient)
        assert identity == client.base_url == "https://api.anthropic.com"
        httpx_mock.add_response(url="https://api.anthropic.com/v1/models?limit=1000",
                                json={"data": [{"id": "claude-x", "type": "model"}], "has_more": False})
        assert client.active_models() == ["claude-x"]
    sent = httpx_mock.get_request()
    assert sent.headers["x-api-key"] == "sk-ant-1" and "authorization" not in sent.headers


def test_the_embedded_provider_speaks_the_spec_type(tmp_path):
    from specrun.client.anthropic import AnthropicClient
    from specrun.spec import provider_config

    client, identity = open_client(make_spec(tmp_path, provider_config({"type": "anthropic", "local": {}})), None)
    with client:
        assert isinstance(client, AnthropicClient) and identity == "local-anthropic"
        assert client.base_url == "http://specrun.local"
    client, identity = open_client(make_spec(tmp_path, provider_config({"type": "openai", "local": {}})), None)
    with client:
        assert identity == "local" and client.provider_type == "openai"


def test_the_anthropic_journal_lives_outside_specrun_one_folder_per_spec(tmp_path, monkeypatch):
    from specrun.spec import provider_config

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    journals = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        client, _ = open_client(make_spec(tmp_path / name, provider_config({"type": "anthropic"})), None)
        with client:
            journals.append(client.journal.path)
            assert client.files.root.is_relative_to(tmp_path / name / ".specrun" / "anthropic")
    assert all(path.is_relative_to(tmp_path / "state" / "specrun" / "anthropic") for path in journals)
    assert journals[0] != journals[1]
