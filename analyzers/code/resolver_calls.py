"""What the resolver reports: MLflow call sites (with the keys they log) and the facts read
beside them (tracking URIs from calls and `os.environ`, model URI literals, model names).

`Resolver` is the complete walker: it extends the scope walker with the visits that record. A
call is reported under its canonical catalog name; calls into the analysed code instead note
what they pass, so the callee's body can be resolved with it.
"""

from __future__ import annotations

import re

import libcst as cst

from analyzers.code.catalog import ROOT_MODULE, literal_string
from analyzers.code.integrations import INDIRECT_USE
from analyzers.code.resolver_evaluate import FoundCall, FoundFact
from analyzers.code.resolver_nodes import bind_arguments, dotted, is_known_object
from analyzers.code.resolver_scopes import ScopeWalker
from analyzers.code.resolver_summaries import CallOut, PassedArgument, encode
from analyzers.code.resolver_values import (
    FunctionInfo,
    Instance,
    QName,
    RepoName,
    StrConst,
    UserClass,
    UserFunction,
    Value,
)
from analyzers.code.uris import redact_uri

# A string that may be a tracking or registry location: worth telling another module about.
LOCATION_LIKE = re.compile(
    r"(?:env:|databricks|[A-Za-z][A-Za-z0-9+.\-]*://|sqlite:|file:|\.{0,2}/|[^\s]*mlruns)",
    re.IGNORECASE,
)

# Environment variables that set where runs are stored, and the fact each one gives.
ENV_FACTS = {"MLFLOW_TRACKING_URI": "tracking-uri", "MLFLOW_REGISTRY_URI": "registry-uri"}
MODEL_URI_PREFIXES = ("models:/", "runs:/")
_ENV_SETTERS = frozenset({"os.environ.setdefault", "environ.setdefault", "os.putenv", "putenv"})
_ENV_UPDATERS = frozenset({"os.environ.update", "environ.update"})


class Resolver(ScopeWalker):
    _concatenation_depth = 0

    def visit_Call(self, node: cst.Call) -> bool:
        self._cli_default(node)
        value, method = self.callee(node.func)
        if self.context is not None:
            self._call_out(node, value, method)
        if self.integration_imported:
            self._integrations_passed(node)
        if isinstance(value, QName) and value.name.startswith(ROOT_MODULE + "."):
            self._record(node, value.name, node)
        elif isinstance(value, QName):  # a name of a library that logs to MLflow for the user
            self._integration(node, value.name, node)
        elif isinstance(value, UserFunction) and isinstance(node.func, cst.Name):
            bind_arguments(value.info, node.args, self.evaluate, self.is_module)
        elif isinstance(value, UserClass) and (init := value.info.method("__init__")):
            bind_arguments(init, node.args, self.evaluate, self.is_module, implicit=1)
        elif method is not None:
            bind_arguments(method[0], node.args, self.evaluate, self.is_module, method[1])
        elif isinstance(node.func, cst.Name | cst.Attribute):
            self._environment_call(node, dotted(node.func))
        return True

    def _cli_default(self, node: cst.Call) -> None:
        """`parser.add_argument("--tracking-uri", default="http://...")` or `@click.option(...)`:
        a command-line option's literal default, for a fact read from `args.tracking_uri` (or
        a parameter of that name) with no other value."""
        called = node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
        called = called or (node.func.value if isinstance(node.func, cst.Name) else "")
        if called not in ("add_argument", "option", "Option"):
            return
        names = [literal_string(arg.value) for arg in node.args if arg.keyword is None]
        options = [name for name in names if name and name.startswith("-")]
        keywords = {arg.keyword.value: arg.value for arg in node.args if arg.keyword is not None}
        default = keywords.get("default")
        text = self.literal_text(default) if default is not None else None
        if not options or not text:
            return
        dest = literal_string(keywords["dest"]) if "dest" in keywords else None
        plain = [n for n in names if n and n.isidentifier()]  # click's parameter name
        name = dest or next(iter(plain), max(options, key=len).lstrip("-").replace("-", "_"))
        self.cli_defaults.setdefault(name, text)

    def _integration(self, node: cst.CSTNode, qualified: str, call: cst.Call | None) -> None:
        row = self.catalog.integration(qualified)
        if row is None or not row.used_by(call):
            return
        self._fact(node, INDIRECT_USE, row.integration, row.name)
        if call is None:
            return
        for rule in row.facts:
            argument = rule.argument(call)
            if argument is not None:
                self._value_fact(node, rule.fact, argument, row.name)

    def _integrations_passed(self, call: cst.Call) -> None:
        """`trainer.add_callback(MLflowCallback)`: an integration's class passed as a value."""
        for arg in call.args:
            if isinstance(arg.value, cst.Name | cst.Attribute):
                passed = self.evaluate(arg.value)
                if isinstance(passed, QName) and not passed.name.startswith(ROOT_MODULE + "."):
                    self._integration(arg.value, passed.name, None)

    def _call_out(
        self, node: cst.Call, value: Value | None, method: tuple[FunctionInfo, int] | None
    ) -> None:
        """A call into another module of the repository (`train(mlflow, data)` after `from
        steps import train`) is noted with what it passes, for that module to learn."""
        target: tuple[str, str] | None = None
        implicit = 0
        if isinstance(value, RepoName):
            target = (value.key, value.name)
        elif isinstance(value, UserFunction | UserClass) and value.info.origin:
            target = value.info.origin
        elif method is not None and method[0].origin:
            target, implicit = method[0].origin, method[1]
        if target is None or not target[1]:
            return
        arguments: list[PassedArgument] = []
        for index, arg in enumerate(node.args):
            if arg.star:
                break
            passed = self.evaluate(arg.value)
            # What a callee's parameters keep: MLflow's modules, functions and objects, and
            # strings that look like a tracking location (`train(uri="http://tracker:5000")`).
            keep = isinstance(passed, QName | Instance) or (
                isinstance(passed, StrConst) and LOCATION_LIKE.match(passed.value) is not None
            )
            encoded = encode(passed) if keep else None
            known_object = is_known_object(arg.value) or (passed is not None and encoded is None)
            if encoded is not None or known_object:
                where: int | str = arg.keyword.value if arg.keyword is not None else index
                arguments.append((where, encoded, known_object))
        if arguments:
            self.calls_out.append(CallOut(target[0], target[1], implicit, tuple(arguments)))

    def _environment_call(self, node: cst.Call, called: str) -> None:
        """`os.environ.setdefault("MLFLOW_TRACKING_URI", uri)`, `os.putenv(...)`,
        `os.environ.update({...})`."""
        if called in _ENV_SETTERS and len(node.args) >= 2:
            self.environment_fact(node, node.args[0].value, node.args[1].value)
        elif called in _ENV_UPDATERS:
            for arg in node.args:
                if arg.keyword is not None:
                    self.environment_fact(
                        node, cst.SimpleString(repr(arg.keyword.value)), arg.value
                    )
                elif isinstance(arg.value, cst.Dict):
                    for element in arg.value.elements:
                        if isinstance(element, cst.DictElement):
                            self.environment_fact(node, element.key, element.value)

    def environment_fact(
        self, node: cst.CSTNode, key: cst.BaseExpression, value: cst.BaseExpression
    ) -> None:
        fact = ENV_FACTS.get(literal_string(key) or "")
        if fact is not None:
            self._value_fact(node, fact, value, "os.environ")

    def _value_fact(
        self, node: cst.CSTNode, fact: str, argument: cst.BaseExpression, source: str
    ) -> None:
        """A fact whose value is an argument: its literal text, else what it is read from
        (the scan looks that up in the repository's configuration files) and its default."""
        text = self.literal_text(argument)
        reference = self.reference(argument) if text is None else None
        if reference is not None:
            text = reference.default
        self._fact(node, fact, text, source, reference.path if reference is not None else "")

    def _fact(
        self, node: cst.CSTNode, fact: str, value: str | None, source: str, reference: str = ""
    ) -> None:
        self.facts.append(
            FoundFact(
                node,
                self.cell,
                tuple(self.statements),
                fact,
                redact_uri(value or ""),
                source,
                reference,
            )
        )

    def visit_SimpleString(self, node: cst.SimpleString) -> bool:
        if not self._concatenation_depth:
            self._model_uri(node)
        return False

    def visit_FormattedString(self, node: cst.FormattedString) -> bool:
        if not self._concatenation_depth:
            self._model_uri(node)
        return True

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        if not self._concatenation_depth:
            self._model_uri(node)
        self._concatenation_depth += 1
        return True

    def leave_ConcatenatedString(self, original_node: cst.ConcatenatedString) -> None:
        self._concatenation_depth -= 1

    def _model_uri(self, node: cst.BaseExpression) -> None:
        if not _may_start_model_uri(node):
            return
        text = self.literal_text(node)
        if text is not None and text.startswith(MODEL_URI_PREFIXES):
            self._fact(node, "model-uri", text, "string-literal")

    def visit_Decorator(self, node: cst.Decorator) -> bool:
        # A bare `@mlflow.trace` is a call too: Python calls it with the function.
        if not isinstance(node.decorator, cst.Call):
            value = self.evaluate(node.decorator)
            if isinstance(value, QName) and value.name.startswith(ROOT_MODULE + "."):
                self._record(node.decorator, value.name, None)
        return True

    def _record(self, node: cst.CSTNode, qualified: str, call: cst.Call | None) -> None:
        api = self.catalog.canonical(qualified)
        entry = self.catalog.lookup(api)
        keys = entry.keys.extract(call) if entry and entry.keys and call is not None else ()
        self.found.append(FoundCall(node, self.cell, tuple(self.statements), api, keys))
        if entry is None or call is None:
            return
        for rule in entry.facts:
            argument = rule.argument(call)
            if argument is None:
                continue
            if rule.presence:
                self._fact(node, rule.fact, rule.keyword, api)
            else:
                self._value_fact(node, rule.fact, argument, api)


def _may_start_model_uri(node: cst.BaseExpression) -> bool:
    """False when a string literal certainly does not start with `models:/` or `runs:/`: a
    look at its first character, which spares evaluating every string of a file."""
    while isinstance(node, cst.ConcatenatedString):
        node = node.left
    if isinstance(node, cst.SimpleString):
        first = node.value[len(node.prefix) + len(node.quote) :][:1]
    elif isinstance(node, cst.FormattedString):
        head = node.parts[0] if node.parts else None
        if not isinstance(head, cst.FormattedStringText):
            return True  # starts with a computed part, which may be a name bound to "models:/"
        first = head.value[:1]
    else:
        return True
    return first in ("m", "r", "\\")
