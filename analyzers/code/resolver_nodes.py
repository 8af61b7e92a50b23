"""The resolver's questions to libcst's nodes that need the node classes at run time: which
expressions are certainly not a module, a dotted name's text, a function's parameters, and
what a call's arguments bind to a function's parameters.

Apart from `resolver_values` so that what the repository pass holds (summaries, contexts) does
not load the parser: a warm rerun that finds every analysis in the cache never imports libcst.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from analyzers.code.resolver_values import FunctionInfo, QName, Value, identifier

_LITERALS = (
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.List,
    cst.Tuple,
    cst.Dict,
    cst.Set,
    cst.Lambda,
    cst.ListComp,
    cst.DictComp,
    cst.SetComp,
    cst.GeneratorExp,
)


def is_known_object(node: cst.BaseExpression) -> bool:
    """A literal, a display or a lambda: certainly not a module."""
    return isinstance(node, _LITERALS) or (isinstance(node, cst.Name) and node.value == "None")


def dotted(node: cst.BaseExpression) -> str:
    """`a.b.c` for a chain of names, "" for anything else."""
    if isinstance(node, cst.Name):
        return identifier(node)
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{identifier(node.attr)}"
    return ""


def all_params(params: cst.Parameters) -> list[cst.Param]:
    """Every parameter, in order: positional-only, positional, *args, keyword-only, **kwargs."""
    star = [params.star_arg] if isinstance(params.star_arg, cst.Param) else []
    kwargs = [params.star_kwarg] if params.star_kwarg is not None else []
    return [*params.posonly_params, *params.params, *star, *params.kwonly_params, *kwargs]


def bind_arguments(
    info: FunctionInfo,
    args: Sequence[cst.Arg],
    evaluate: Callable[[cst.BaseExpression], Value | None],
    is_module: Callable[[QName], bool],
    implicit: int = 0,
) -> None:
    """Note in `info` what a call passes for each parameter, when it is something of MLflow's.
    `implicit` leading parameters are passed by Python (`self` of `obj.method(...)`)."""
    for index, arg in enumerate(args, start=implicit):
        if arg.star:
            break
        name: str | None
        if arg.keyword is not None:
            name = identifier(arg.keyword)
            name = name if name in info.keywords else None
        else:
            name = info.positional[index] if index < len(info.positional) else None
        if name is not None:
            value = evaluate(arg.value)
            info.note_argument(name, value, is_known_object(arg.value), is_module)
