"""Name resolution for MLflow calls: which call sites, after Python's own binding rules, call
into the `mlflow` package. This module is the entry point (`resolve_calls`); the work is
split by what it owns:

* `resolver_values`: what a name can mean (MLflow names, objects MLflow returned, classes and
  functions of the analysed code) and the scopes that hold the bindings;
* `resolver_nodes`: the questions to libcst's node classes those values need (a dotted name,
  a function's parameters, the arguments a call binds), apart so that summaries and contexts
  do not load the parser;
* `resolver_evaluate`: the resolver's state and what an expression means in it;
* `resolver_binding`: imports, assignments and control flow;
* `resolver_scopes`: functions, classes and comprehensions, and when their bodies run;
* `resolver_calls`: what is reported, call sites and the facts beside them.

The resolver tracks only what it needs (imports, aliases, objects MLflow returns, `self`
attributes) instead of a full scope analysis, which is about 5x slower in libcst:

* straight-line code rebinds names (`def log_param` after `from mlflow import log_param`
  shadows the import);
* where control flow joins (if/else, try/except, loops) a name keeps an MLflow meaning if any
  branch gave it one, so `try: import mlflow / except ImportError: mlflow = None` still resolves;
* function bodies run after the module has been read, as they do when a script's functions are
  called from its `__main__` block, so they see the module's final bindings;
* `self.<attr>` bindings are collected over all methods of a class before its methods are
  resolved, so `self.client = MlflowClient()` in `__init__` resolves `self.client.log_metric`
  in any other method.

A notebook is resolved as one module whose statements come cell after cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import libcst as cst

from analyzers.code.catalog import Catalog
from analyzers.code.positions import ParsedModule, Positions
from analyzers.code.resolver_calls import Resolver
from analyzers.code.resolver_scopes import MAX_PASSES
from analyzers.code.resolver_summaries import (
    Encoded,
    ModuleSummary,
    RepoContext,
    distinct_calls,
    encode,
)
from analyzers.code.resolver_values import UNKNOWN, FunctionInfo, QName, UserFunction, Value
from analyzers.code.uris import redact_uri
from analyzers.records import CallSite, Fact


def _resolve_modules(
    modules: Sequence[ParsedModule],
    catalog: Catalog,
    preimported: Iterable[str],
    known_attrs: Mapping[cst.ClassDef, dict[str, Value]],
    functions: dict[cst.FunctionDef, FunctionInfo],
    context: RepoContext | None,
) -> Resolver:
    resolver = Resolver(catalog, known_attrs, functions, context)
    for module_name in preimported:
        resolver.bind(module_name.split(".", 1)[0], QName(module_name.split(".", 1)[0]))
    for parsed in modules:
        resolver.cell = parsed.cell
        for statement in parsed.module.body:
            resolver.walk(statement)
    resolver.cell = None
    resolver.resolve_deferred()
    return resolver


def resolve_calls(
    modules: Sequence[ParsedModule],
    catalog: Catalog,
    preimported: Iterable[str] = (),
    context: RepoContext | None = None,
) -> tuple[list[CallSite], list[Fact]]:
    """All MLflow call sites in `modules`, resolved as one module in the order given, and the
    facts read beside them (tracking URIs, model names, model URI literals...).

    Each module's `cell` is a notebook cell's index, or None for a script. `preimported`
    modules are bound before the first statement, as when a notebook's `%run` of another
    notebook imported them. `context` tells what the repository's other modules mean. Both
    lists are ordered by cell, line and column; positions are 1-based lines, 0-based columns.
    """
    calls, facts, _ = resolve_in_repository(modules, catalog, preimported, context)
    return calls, facts


def resolve_in_repository(
    modules: Sequence[ParsedModule],
    catalog: Catalog,
    preimported: Iterable[str] = (),
    context: RepoContext | None = None,
) -> tuple[list[CallSite], list[Fact], ModuleSummary]:
    """`resolve_calls`, and what the module means to the rest of its repository."""
    resolver = _resolve_modules(modules, catalog, preimported, {}, {}, context)
    for _ in range(MAX_PASSES - 1):
        # Module-level code ran before the function bodies that told what `self` attributes
        # hold or what a function returns: run again, knowing both from the start.
        missed = resolver.missed_attribute and any(info.attrs for info in resolver.classes.values())
        if not (missed or resolver.inferred_returns):
            break
        resolver = _resolve_modules(
            modules,
            catalog,
            preimported,
            {node: info.attrs for node, info in resolver.classes.items()},
            resolver.functions,
            context,
        )
    calls, facts = _located(resolver, modules, catalog)
    return calls, facts, summarise(resolver)


def summarise(resolver: Resolver) -> ModuleSummary:
    """The module's top-level names that carry an MLflow meaning, its pytest fixtures, the
    mlflow modules it star-imports and its calls into other modules."""
    names: dict[str, Encoded] = {}
    fixtures: dict[str, Encoded] = {}
    key = resolver.context.key if resolver.context is not None else ""
    for name, binding in resolver.module_scope.names.items():
        encoded = None if binding is UNKNOWN else encode(binding)  # type: ignore[arg-type]
        if encoded is not None:
            names[name] = encoded
        elif resolver.star_from:  # its own name hides the one `from mlflow import *` gave
            names[name] = ["n", key, name]
        if isinstance(binding, UserFunction) and binding.info.fixture:
            returned = encode(binding.info.returns)
            if returned is not None:
                fixtures[name] = returned
    calls_out = distinct_calls(resolver.calls_out)
    return ModuleSummary(names, fixtures, tuple(resolver.star_from), calls_out)


def _located(
    resolver: Resolver, modules: Sequence[ParsedModule], catalog: Catalog
) -> tuple[list[CallSite], list[Fact]]:
    positions = {parsed.cell: Positions(parsed) for parsed in modules}
    sites = []
    for found in resolver.found:
        line, column = positions[found.cell].start(found.statements, found.node)
        sites.append(
            CallSite(
                line=line,
                column=column,
                api=found.api,
                dimension=catalog.dimension(found.api),
                keys=found.keys,
                cell=found.cell,
            )
        )
    facts = []
    for fact in resolver.facts:
        line, column = positions[fact.cell].start(fact.statements, fact.node)
        value = fact.value
        if not value and fact.reference:  # `args.tracking_uri`: the option's default
            value = resolver.cli_defaults.get(fact.reference.rpartition(".")[2], "")
        facts.append(
            Fact(
                line=line,
                column=column,
                fact=fact.fact,
                value=redact_uri(value),
                source=fact.source,
                cell=fact.cell,
                reference=fact.reference,
            )
        )
    sites.sort(key=lambda s: (-1 if s.cell is None else s.cell, s.line, s.column, s.api))
    facts.sort(key=lambda f: (-1 if f.cell is None else f.cell, f.line, f.column, f.fact, f.value))
    return sites, facts
