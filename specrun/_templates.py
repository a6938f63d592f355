"""The Jinja2 sandbox templates run in, and the words for what went wrong in them.

One environment for the whole process: sandboxed, ``StrictUndefined``, no
randomness (``random``/``lipsum`` are removed so output stays deterministic), and
``row.<name>`` always means the column ``name`` even when a dict method has that
name (a CSV column called ``items`` or ``values`` must not turn into a method).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

__all__ = ["ENVIRONMENT", "CONTEXT_NAMES", "CompiledTemplate", "TemplateFailure", "compile_template", "base_context"]

# Names a template may use; a template that uses none of the per-row ones is
# rendered once per job instead of once per row.
CONTEXT_NAMES = ("row", "index", "job", "vars")
_PER_ROW_NAMES = frozenset({"row", "index"})


class _Environment(SandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        # Columns before dict methods, and no exception on the hot path.
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def _make_environment() -> _Environment:
    env = _Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    env.filters.pop("random", None)
    env.globals.pop("lipsum", None)
    return env


ENVIRONMENT = _make_environment()


class TemplateFailure(Exception):
    """A template failed while rendering; :meth:`reason` says why in plain words."""

    def __init__(self, template_line: int | None, error: BaseException, undefined: jinja2.Undefined | None) -> None:
        super().__init__(str(error))
        self.template_line = template_line
        self.error = error
        self.undefined = undefined

    def reason(self, *, row: Mapping[str, Any] | None, row_words: str | None, vars: Mapping[str, Any]) -> str:
        """The cause, e.g. "row 41 of data/a.csv has no column 'body' (columns: id, title)"."""
        if self.undefined is not None:
            obj, name = self.undefined._undefined_obj, self.undefined._undefined_name
            if row is not None and obj is row:
                columns = ", ".join(map(str, row.keys())) or "none"
                return f"{row_words} has no column {name!r} (columns: {columns})"
            if obj is vars:
                names = ", ".join(vars.keys()) or "none"
                return f"no var {name!r} (vars: {names})"
            if obj is jinja2.utils.missing and self.undefined._undefined_hint is None:
                detail = f"{name!r} is undefined; templates can use {', '.join(CONTEXT_NAMES)}"
            else:
                detail = self.undefined._undefined_message
        else:
            detail = f"{type(self.error).__name__}: {self.error}"
        return f"{row_words}: {detail}" if row_words else detail


class CompiledTemplate:
    """A template compiled once, rendered many times against a shared context dict."""

    __slots__ = ("source", "template", "per_row", "_render", "_globals", "_parent", "_context")

    def __init__(self, source: str) -> None:
        self.source = source
        self.template = ENVIRONMENT.from_string(source)
        used = meta.find_undeclared_variables(ENVIRONMENT.parse(source))
        self.per_row = bool(used & _PER_ROW_NAMES) or not used <= set(CONTEXT_NAMES)
        self._render: Callable[..., Any] = self.template.root_render_func
        self._globals = self._render.__globals__
        self._parent: dict[str, Any] | None = None
        self._context: jinja2.runtime.Context | None = None

    def render(self, context: dict[str, Any]) -> str:
        """Render against ``context`` (must already hold the environment globals).

        The jinja Context wrapping ``context`` is made once and reused: building one
        per row cost more than rendering a short template. Names a template sets
        with ``{% set %}`` are cleared before each render, so nothing leaks between rows.
        """
        jinja_context = self._context
        if context is not self._parent or jinja_context is None:
            jinja_context = self._context = self.template.new_context(context, shared=True)
            self._parent = context
        elif jinja_context.vars:
            jinja_context.vars.clear()
            jinja_context.exported_vars.clear()
        try:
            return "".join(self._render(jinja_context))
        except Exception as exc:  # user code: any failure is the template's, not ours
            raise self._failure(exc) from None

    def _failure(self, exc: Exception) -> TemplateFailure:
        line, undefined = None, None
        tb = exc.__traceback__
        while tb is not None:  # innermost template frame gives the line; the raiser, the Undefined
            if tb.tb_frame.f_globals is self._globals:
                line = self.template.get_corresponding_lineno(tb.tb_lineno)
            candidate = tb.tb_frame.f_locals.get("self")
            if isinstance(exc, jinja2.UndefinedError) and isinstance(candidate, jinja2.Undefined):
                undefined = candidate
            tb = tb.tb_next
        return TemplateFailure(line, exc, undefined)


def compile_template(source: str) -> CompiledTemplate:
    """Compile ``source``; raise ``jinja2.TemplateSyntaxError`` (with ``lineno``) if invalid."""
    return CompiledTemplate(source)


def base_context(job: str, vars: Mapping[str, Any]) -> dict[str, Any]:
    """A context dict holding the environment globals plus ``job`` and ``vars``."""
    context = dict(ENVIRONMENT.globals)
    context.update(job=job, vars=vars, row=None, index=None)
    return context
