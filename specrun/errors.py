"""User-facing errors.

Every error a user can cause or meet is a ``SpecrunError``: a ``click.ClickException``
that carries its own message and exit code, so the CLI prints one clean ``Error: ...``
line and exits 1. Programmer bugs stay outside this tree and keep their tracebacks.

    SpecrunError
     ├── SpecError            spec file: YAML, schema, unknown keys, vars
     ├── DataError            data files: missing, empty, malformed lines/rows
     ├── RenderError          template errors, duplicate custom_id
     ├── StateError           state file unreadable / wrong version
     │    └── StateLocked     another run holds the lock
     ├── PlanError            plan-time checks (unknown model, stale saved plan, ...)
     │    ├── StalePlan
     │    └── BudgetExceeded
     ├── ApplyError           apply could not finish (timeout, failed batches)
     ├── MissingExtra         an optional extra is needed (pip install 'specrun[parquet]')
     └── APIError             anything the provider answered or failed to answer
          ├── AuthError       401/403
          ├── NotFound        404
          ├── RateLimited     429 after retries ran out
          ├── ProviderError   other 4xx/5xx, non-JSON answers
          ├── ConnectionFailed  could not reach the provider
          └── OutcomeUnknown  a creating POST was sent but its answer was lost
"""

from __future__ import annotations

from typing import Any

import click

__all__ = [
    "SpecrunError",
    "SpecError",
    "DataError",
    "RenderError",
    "StateError",
    "StateLocked",
    "PlanError",
    "StalePlan",
    "BudgetExceeded",
    "ApplyError",
    "MissingExtra",
    "APIError",
    "AuthError",
    "NotFound",
    "RateLimited",
    "ProviderError",
    "ConnectionFailed",
    "OutcomeUnknown",
]


class SpecrunError(click.ClickException):
    """Root of every user-facing error; printed as one line, exit code 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)

    def __str__(self) -> str:
        return self.message

    def format_message(self) -> str:
        """The message as printed: control characters a provider or a data file slipped
        into it (terminal escapes, ``\r``) are shown as escapes, never acted on."""
        from specrun._text import safe

        return safe(self.message, None, newlines=True)


class SpecError(SpecrunError):
    """The spec file is malformed or violates the schema.

    ``problems`` holds every individual problem (already formatted as
    ``file:line: field: message``) so the CLI can list them all at once.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems or [])
        if self.problems and message not in self.problems:
            message = message + "\n" + "\n".join("  " + p for p in self.problems)
        super().__init__(message)


class DataError(SpecrunError):
    """A data file is missing, empty or malformed."""


class RenderError(SpecrunError):
    """A template failed for a row, or rendered requests are invalid."""


class StateError(SpecrunError):
    """The state file cannot be read, migrated or written."""


class StateLocked(StateError):
    """Another specrun run holds the state lock."""


class PlanError(SpecrunError):
    """The plan cannot be made or cannot be applied."""


class StalePlan(PlanError):
    """A saved plan no longer matches the state or the inputs."""


class BudgetExceeded(PlanError):
    """The estimated cost is over the configured budget."""


class ApplyError(SpecrunError):
    """Apply could not bring every job to completion."""


class MissingExtra(SpecrunError):
    """A file needs a package specrun installs only as an extra (Parquet: ``specrun[parquet]``)."""


class APIError(SpecrunError):
    """The provider answered with an error, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        method: str | None = None,
        url: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.method = method
        self.url = url
        self.body = body


class AuthError(APIError):
    """401/403: the API key is missing or wrong."""


class NotFound(APIError):
    """404: the file, batch or endpoint does not exist."""


class RateLimited(APIError):
    """429 and the retry budget ran out."""


class ProviderError(APIError):
    """Any other error answer (4xx/5xx) or an unreadable answer."""


class ConnectionFailed(APIError):
    """The provider could not be reached (refused, DNS, timeout before sending)."""


class OutcomeUnknown(APIError):
    """A POST that creates something was sent, but its answer was lost.

    The provider may or may not have created the object. Never retry blindly:
    reconcile by listing (``Client.find_files`` / ``Client.find_batches``).
    ``attempted`` describes the request: ``{"method", "path", "filename", "bytes",
    "input_file_id"}`` as relevant.
    """

    def __init__(self, message: str, *, attempted: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.attempted = dict(attempted or {})
