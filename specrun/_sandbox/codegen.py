"""The Python code a template compiles to: loops, method calls and ``~`` routed through the sandbox's checks."""

from __future__ import annotations

from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst

__all__ = ["SandboxCodeGenerator"]

class SandboxCodeGenerator(CodeGenerator):
    """Jinja's code generator with three changes (jinja allows no custom node types,
    so the nodes to change are marked by identity while their parent is visited):

    - a ``{% for %}`` iterable becomes ``environment.guard_iter(<iterable>)``, so every
      iteration is a counted step;
    - ``obj.name(...)`` looks ``name`` up with ``environment.getmethod``: a dict's method
      is reachable by calling it when no key has the name;
    - ``a ~ b`` joins with the environment's checked ``str_join``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id -> node: holding the node keeps its id from being reused by another one
        self._loop_iterables: dict[int, nodes.Node] = {}
        self._method_lookups: dict[int, nodes.Node] = {}

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        if self._loop_iterables.get(id(node)) is node:
            del self._loop_iterables[id(node)]
            self.write("environment.guard_iter(")
            super().visit(node, *args, **kwargs)
            self.write(")")
            return None
        return super().visit(node, *args, **kwargs)

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        self._loop_iterables[id(node.iter)] = node.iter
        super().visit_For(node, frame)

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if isinstance(node.node, nodes.Getattr) and node.node.ctx == "load":
            self._method_lookups[id(node.node)] = node.node
        super().visit_Call(node, frame, forward_caller=forward_caller)

    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        if self._method_lookups.get(id(node)) is not node:
            return super().visit_Getattr(node, frame)
        del self._method_lookups[id(node)]
        self.write("environment.getmethod(")
        self.visit(node.node, frame)
        self.write(f", {node.attr!r})")
        return None

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        # {{ x }} -> text as is, anything else through finalize (one call saved per
        # printed text, which is nearly every print)
        if frame.eval_ctx.volatile or frame.eval_ctx.autoescape:
            return super()._output_child_pre(node, frame, finalize)
        self.write("(t_print if type(t_print := (")
        return None

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or frame.eval_ctx.autoescape:
            return super()._output_child_post(node, frame, finalize)
        self.write(")) is str else str(environment.finalize(t_print)))")
        return None

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            function = "(environment.markup_join if context.eval_ctx.volatile else environment.str_join)"
        elif frame.eval_ctx.autoescape:
            function = "environment.markup_join"
        else:
            function = "environment.str_join"
        self.write(f"{function}((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")

