"""specrun: declarative, infrastructure-as-code runner for LLM batch-inference jobs."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
