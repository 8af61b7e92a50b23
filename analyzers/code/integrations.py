"""Libraries that log to MLflow on the user's behalf: the catalog's `[integrations]` table,
loaded and checked, and the rule that says whether a call uses one.

A use of an integration is an indirect use of MLflow (indirect.csv): Lightning's
`MLFlowLogger`, `TrainingArguments(report_to="mlflow")`, Optuna's `MLflowCallback`, ... Its
names are resolved like MLflow's (an import of the library's module, then a call or a
reference), so the resolver binds the integrations' top-level modules (`roots`) the way it
binds `mlflow`. The byte pre-filter lets a file through when it holds one of `markers`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import libcst as cst

    from analyzers.code.catalog import FactRule

RECORDS = ("params", "metrics", "models", "artifacts")

# An indirect use is carried through the analysis (and its cache) as a fact of this kind, whose
# value is the integration and whose source is the catalogued name; the scan writes it to
# indirect.csv, never to facts.csv.
INDIRECT_USE = "indirect-use"


@dataclass(frozen=True, slots=True)
class Condition:
    """`KEYWORD=VALUE`: the call passes KEYWORD the literal VALUE (a string, or True), a list
    or tuple holding it, or a dict literal with KEY: VALUE as its first argument."""

    keyword: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Condition:
        keyword, equals, value = text.partition("=")
        if not (equals and keyword.isidentifier() and value):
            raise ValueError(f"catalog: [integrations] condition {text!r} is not KEYWORD=VALUE")
        return cls(keyword, value)

    def holds(self, call: cst.Call) -> bool:
        import libcst as cst

        for index, arg in enumerate(call.args):
            if arg.keyword is not None and arg.keyword.value == self.keyword:
                return self._matches(arg.value)
            if index == 0 and arg.keyword is None and isinstance(arg.value, cst.Dict):
                for element in arg.value.elements:
                    if isinstance(element, cst.DictElement) and _text(element.key) == self.keyword:
                        return self._matches(element.value)
        return False

    def _matches(self, node: cst.BaseExpression) -> bool:
        import libcst as cst

        if isinstance(node, cst.List | cst.Tuple | cst.Set):
            return any(self._matches(element.value) for element in node.elements)
        return _text(node) == self.value


def _text(node: cst.BaseExpression) -> str | None:
    """A string literal's value, or `True`/`False`/`None` for those names."""
    import libcst as cst

    from analyzers.code.catalog import literal_string

    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return node.value
    return literal_string(node)


@dataclass(frozen=True, slots=True)
class Integration:
    """One `[integrations]` row: the name its library documents and the others that mean the
    same, what it records, and when a call of it is a use."""

    name: str
    integration: str
    records: tuple[str, ...]
    names: tuple[str, ...]
    when: tuple[Condition, ...]
    example: str
    ignore: str
    facts: tuple[FactRule, ...] = ()  #: values read from the call (a tracking URI)

    def used_by(self, call: cst.Call | None) -> bool:
        """Whether this call (None: the name passed as a value) uses the integration."""
        if not self.when:
            return True
        return call is not None and any(condition.holds(call) for condition in self.when)

    @property
    def markers(self) -> tuple[bytes, ...]:
        """Bytes a file that uses it must hold: the keyword of a condition (`report_to`), else
        the name's last part when it names MLflow (`MLFlowLogger`, `setup_mlflow`), else its
        library's module (`hydraflow` for `hydraflow.main`, `ultralytics` for its settings)."""
        keywords = [c.keyword for c in self.when if c.keyword != "mlflow"]
        if keywords:
            return tuple(dict.fromkeys(keyword.encode() for keyword in keywords))
        found = []
        for name in (self.name, *self.names):
            last = name.rpartition(".")[2]
            found.append(last if "mlflow" in last.lower() else name.split(".", 1)[0])
        return tuple(dict.fromkeys(marker.encode() for marker in found))


def parse_integrations(table: Mapping[str, Any]) -> dict[str, Integration]:
    """Every name of the `[integrations]` table -> its row."""
    from analyzers.code.catalog import FactRule

    by_name: dict[str, Integration] = {}
    known = {"integration", "records", "names", "when", "example", "ignore", "facts"}
    for name, spec in table.items():
        unknown = set(spec) - known
        if unknown:
            raise ValueError(f"catalog: [integrations] {name}: unknown key(s) {sorted(unknown)}")
        records = tuple(part for part in str(spec.get("records", "")).split(";") if part)
        bad = [part for part in records if part not in RECORDS]
        if bad:
            raise ValueError(f"catalog: [integrations] {name}: records {bad} not among {RECORDS}")
        when = str(spec.get("when", ""))
        row = Integration(
            name,
            str(spec["integration"]),
            records,
            tuple(spec.get("names", ())),
            tuple(Condition.parse(part) for part in when.split("|")) if when else (),
            str(spec["example"]),
            str(spec["ignore"]),
            tuple(
                rule
                for fact, text in spec.get("facts", {}).items()
                for rule in FactRule.parse(fact, text)
            ),
        )
        for alias in (name, *row.names):
            if alias in by_name or "." not in alias:
                raise ValueError(f"catalog: [integrations] {alias} is listed twice or not dotted")
            by_name[alias] = row
    return by_name


def rows(by_name: Mapping[str, Integration]) -> Iterator[Integration]:
    """Each row once, in catalog order."""
    seen: set[str] = set()
    for row in by_name.values():
        if row.name not in seen:
            seen.add(row.name)
            yield row
