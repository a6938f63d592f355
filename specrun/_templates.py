"""The Jinja2 sandbox templates run in, and the words for what went wrong in them.

One environment for the whole process. DESIGN §2 promises deterministic rendering
and ``StrictUndefined``; CI validates specs from pull requests, so both must hold for
*every* template, hostile ones included, and no template may run long or grow large.

Deterministic
    ``random``/``lipsum`` are removed, and only plain data becomes text: ``str``,
    ``int``, ``float``, ``bool``, ``None`` and lists, tuples and dicts of them. A
    method (``row.title.strip`` without ``()``), a function, a class, a generator, a
    set (its order changes from run to run), a ``cycler``/``joiner``/``namespace``
    object... is a template error wherever it would turn into text: printed
    (``finalize``), joined with ``~``, passed to a filter that makes text
    (``|string``, ``|join``, ``|upper``...), formatted with ``%``, ``|format`` or
    ``.format()``. As a last net, a rendered text holding a Python object address
    (``... at 0x7f...``) that is in neither the template nor the data is an error.

StrictUndefined
    For a dict, ``d.name`` and ``d['name']`` mean the key only: a missing column is
    undefined even when a dict method has its name (``row.values``). Calling one,
    ``row.get('x', '')`` or ``row.items()``, still reaches the method when no column
    has that name.

Read-only
    ``ImmutableSandboxedEnvironment``: no template can change a row, ``vars`` or any
    list/dict/set (``row.pop('x')`` is an error), so results keep the rows as read.

Bounded (per template render, i.e. one template for one row)
    - any text a template builds or renders: at most ``MAX_TEXT`` characters (16 MiB,
      a fixed cap rather than the job's ``limits.max_bytes``, which still applies to
      each request after rendering, so ``on_too_long: skip`` keeps working; a message
      over 16 MiB is skipped too with ``on_too_long: skip``, an error otherwise);
    - any list, tuple or dict it builds: at most ``MAX_ITEMS`` items; numbers at most
      ``MAX_INT_BITS`` bits; values turned into text nested at most ``MAX_DEPTH`` deep;
    - loop iterations, calls (macros, methods, filters) and formatted fields: ``MAX_STEPS``;
    - all text built along the way: ``MAX_WORK`` characters;
    - filters that loop in Python over words or lines (``|urlize``, ``|wordwrap``,
      ``|title``, ``|indent``, ``|pprint``): at most ``MAX_SLOW_TEXT`` characters in;
    - and, as a net for what the counts above miss, ``MAX_SECONDS`` of wall time.
    A template nesting brackets, blocks or unary operators more than ``MAX_NESTING``
    deep is a syntax error (jinja's parser is recursive).
    Size-producing operations are checked *before* they run (``'x' * 10**9``,
    ``|center(10**9)``, ``'%999999999d'|format(1)``, ``range(10**5)|join('x' * 10**5)``),
    so a hostile template fails in milliseconds and never allocates the result. Jinja
    computes constant parts while compiling (``validate``); the same limits apply
    there, and a constant result over 64 KiB is left to render time.

A render error names the job, the field, the template line and the data row
(``_JobRenderer._failure`` in ``_job_renderer.py``, from :meth:`TemplateFailure.reason`).

Where each part lives: :mod:`specrun._sandbox` (``limits``, ``plain``, ``formatting``,
``filters``, ``codegen``, ``environment``); this module compiles and renders with it.
"""

from __future__ import annotations

import gc
import itertools
import re
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2 import meta, nodes

from specrun._sandbox.environment import ENVIRONMENT
from specrun._sandbox.limits import (
    MAX_DEPTH,
    MAX_INT_BITS,
    MAX_ITEMS,
    MAX_NESTING,
    MAX_SECONDS,
    MAX_SLOW_TEXT,
    MAX_STEPS,
    MAX_TEXT,
    MAX_WORK,
    METER,
    RenderedTooLarge,
    TemplateRefused,
    reset_meter,
)
from specrun._sandbox.plain import PLAIN

__all__ = [
    "ENVIRONMENT", "CONTEXT_NAMES", "CompiledTemplate", "TemplateFailure", "TemplateRefused", "RenderedTooLarge",
    "compile_template", "base_context",
    "MAX_TEXT", "MAX_ITEMS", "MAX_INT_BITS", "MAX_DEPTH", "MAX_STEPS", "MAX_WORK", "MAX_SECONDS", "MAX_SLOW_TEXT",
    "MAX_NESTING",
]

# Names a template may use; a template that uses none of the per-row ones is
# rendered once per job instead of once per row.
CONTEXT_NAMES = ("row", "index", "job", "vars")
_PER_ROW_NAMES = frozenset({"row", "index"})

# The text of a default repr holds the object's address, which changes every run.
_ADDRESS = re.compile(r"at\s*0x[0-9a-f]{6,}", re.IGNORECASE)


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
            elif isinstance(obj, dict) and self.undefined._undefined_hint is None:
                keys = ", ".join(map(str, itertools.islice(obj.keys(), 20))) or "none"
                detail = f"a dict has no key {name!r} (keys: {keys})"
            else:
                detail = self.undefined._undefined_message
        elif isinstance(self.error, TemplateRefused):
            detail = str(self.error)
        elif isinstance(self.error, RecursionError):
            detail = "the template nests or recurses too deeply (a macro or a loop calling itself?)"
        else:
            detail = f"{type(self.error).__name__}: {self.error}"
        return f"{row_words}: {detail}" if row_words else detail


# Node types of a "simple" template (see CompiledTemplate.simple).
_SIMPLE_NODES = frozenset({
    nodes.Output, nodes.TemplateData, nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Const, nodes.If,
    nodes.CondExpr, nodes.And, nodes.Or, nodes.Not, nodes.Compare, nodes.Operand, nodes.Slice,
})


class CompiledTemplate:
    """A template compiled once, rendered many times against a shared context dict."""

    __slots__ = ("source", "template", "per_row", "simple", "few_pieces", "_render", "_globals", "_parent", "_context",
                 "_lowered_source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.template = ENVIRONMENT.from_string(source)
        tree = ENVIRONMENT.parse(source)
        used = meta.find_undeclared_variables(tree)
        self.per_row = bool(used & _PER_ROW_NAMES) or not used <= set(CONTEXT_NAMES)
        # Only prints, lookups and conditions: nothing can loop, call or convert, so
        # the budget and the address net have nothing to watch (the common, fast case).
        self.simple = all(type(node) in _SIMPLE_NODES for node in tree.find_all(nodes.Node))
        # A simple template yields at most this many pieces: when few, joining them
        # first cannot build much more than the values already in memory.
        self.few_pieces = self.simple and sum(len(output.nodes) for output in tree.find_all(nodes.Output)) <= 8
        self._render: Callable[..., Any] = self.template.root_render_func
        self._globals = self._render.__globals__
        self._parent: dict[str, Any] | None = None
        self._context: jinja2.runtime.Context | None = None
        self._lowered_source = source.lower()

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
        simple = self.simple
        if not simple:
            reset_meter(MAX_SECONDS)
        try:
            if self.few_pieces:
                text = "".join(self._render(jinja_context))
                size = len(text)
            else:
                pieces = list(self._render(jinja_context))
                size = sum(map(len, pieces))  # before joining: a loop may repeat a large piece
                text = "".join(pieces) if size <= MAX_TEXT else ""
            if size > MAX_TEXT:
                raise RenderedTooLarge(size)
        except Exception as exc:  # user code: any failure is the template's, not ours
            raise self._failure(exc) from None
        if not simple and ("0x" in text or "0X" in text):
            self._refuse_object_address(text, context)
        return text

    def _refuse_object_address(self, text: str, context: Mapping[str, Any]) -> None:
        """The last net: an object's address in the text, unless the template or data wrote it."""
        for match in _ADDRESS.finditer(text):
            found = match.group().lower()
            if found in self._lowered_source or _holds_text(context.get("row"), found) \
                    or _holds_text(context.get("vars"), found):
                continue
            start = text.rfind("<", max(0, match.start() - 120), match.start())
            shown = text[start if start >= 0 else match.start():match.end() + 1]
            raise TemplateFailure(None, TemplateRefused(
                f"the text holds {shown!r}, the address of a Python object, which changes on every run: something "
                f"that is not data (a method, a function, an object) became text; {PLAIN}"), None)

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


def _holds_text(value: Any, needle: str) -> bool:
    """Whether some text inside ``value`` (lowercased) contains ``needle``."""
    stack, seen = [value], 0
    while stack and seen < MAX_ITEMS:
        item = stack.pop()
        seen += 1
        if isinstance(item, str):
            if needle in item.lower():
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False



# --------------------------------------------------------------------------- compiling

_OPENERS = frozenset({"(", "[", "{"})
_CLOSERS = frozenset({")", "]", "}"})
_BLOCKS = frozenset({"if", "for", "macro", "call", "filter", "with", "block", "autoescape"})


def _check_nesting(source: str) -> None:
    """Refuse deep nesting before jinja's recursive parser meets it (the lexer is iterative)."""
    depth = unary = 0
    in_block, block_name, assigns = False, None, False
    for line, kind, value in ENVIRONMENT.lex(source):
        if kind == "whitespace":
            continue
        if kind == "operator" and value in _OPENERS:
            depth += 1
        elif kind == "operator" and value in _CLOSERS:
            depth -= 1
        elif kind == "block_begin":
            in_block, block_name, assigns = True, None, False
        elif in_block and kind == "name" and block_name is None:
            block_name = value
            if value in _BLOCKS:
                depth += 1
            elif value.startswith("end") and value[3:] in _BLOCKS | {"set"}:
                depth -= 1
        elif in_block and kind == "operator" and value == "=":
            assigns = True
        elif kind == "block_end":
            if block_name == "set" and not assigns:  # {% set x %}...{% endset %}
                depth += 1
            in_block = False
        unary = unary + 1 if (kind == "operator" and value in "+-") or (kind == "name" and value == "not") else 0
        if depth > MAX_NESTING or unary > MAX_NESTING:
            raise jinja2.TemplateSyntaxError(f"the template nests more than {MAX_NESTING} levels deep", line)


def compile_template(source: str) -> CompiledTemplate:
    """Compile ``source``; raise ``jinja2.TemplateSyntaxError`` (with ``lineno``) if invalid."""
    _check_nesting(source)
    reset_meter(MAX_SECONDS)  # constant parts are computed while compiling: the same budget applies
    METER.compiling = True
    collecting = gc.isenabled()
    gc.disable()  # no finalizers of unrelated garbage deep in the parser's recursion
    try:
        return CompiledTemplate(source)
    except RecursionError:
        raise jinja2.TemplateSyntaxError("the template nests too deeply", 1) from None
    finally:
        METER.compiling = False
        if collecting:
            gc.enable()


def base_context(job: str, vars: Mapping[str, Any]) -> dict[str, Any]:
    """A context dict holding the environment globals plus ``job`` and ``vars``."""
    context = dict(ENVIRONMENT.globals)
    context.update(job=job, vars=vars, row=None, index=None)
    return context
