"""The Provider seam: the HTTP client (and so the embedded provider) implements every call the core makes."""

from __future__ import annotations

import inspect

from specrun.client import Client
from specrun.provider import Provider


def test_the_client_is_a_provider():
    with Client("http://127.0.0.1:9/v1", None) as client:
        assert isinstance(client, Provider)


def test_every_provider_call_has_the_same_parameters_on_the_client():
    for name, member in vars(Provider).items():
        if name.startswith("_") or not callable(member):
            continue
        wanted = inspect.signature(member)
        actual = inspect.signature(getattr(Client, name))
        assert list(actual.parameters) == list(wanted.parameters), name
        for parameter in wanted.parameters.values():
            assert actual.parameters[parameter.name].default == parameter.default, (name, parameter.name)
