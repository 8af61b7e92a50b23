"""The repository pass: each file of a checkout resolved with what the others mean.

1. Outline every `.py`/`.ipynb` file: whether the pre-filter lets it through, and its import
   specs (from the cache, else read from its bytes without parsing).
2. Order the files after the modules they import and the `conftest.py` files above them, in
   levels whose files are independent (and analysed in parallel); an import cycle shares one
   level.
3. Resolve each file with its `RepoContext` (the summaries of what it imports, its fixtures,
   what other modules pass to its functions) and keep its `ModuleSummary` for its importers.
   A file the pre-filter ruled out is resolved only when its context can matter to it.
4. Calls into other modules with MLflow arguments become the callee's `incoming`; every file
   whose context changed is resolved again, round after round, until nothing changes or
   MAX_ROUNDS have run (so cycles terminate).

The cache key of a file includes the digest of the context it used: after an edit to
`utils.py` only `utils.py` and the files whose context its new summary changes are analysed
again. What is held per repository is an outline and a summary per file, and the bytes of
files waiting for analysis in the current level.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analyzers.code.outline import Imports, import_specs
from analyzers.code.prefilter import may_use_mlflow
from analyzers.code.resolver_summaries import ModuleSummary, RepoContext
from analyzers.records import FileAnalysis, FileKind, FileStatus, RepoRef
from analyzers.repo.cache import AnalysisCache, blob_sha
from analyzers.repo.files import Entry
from analyzers.repo.modules import ModuleIndex, prefixes

if TYPE_CHECKING:
    from concurrent.futures import Future

    from analyzers.repo.scanner import AnalysisWorkers, ScanSettings

MAX_ROUNDS = 4
Incoming = dict[str, dict[str, list[list[Any]]]]  # module -> function -> call sites
# Kinds of summarised values that can turn a call into an MLflow call in a file that never
# names mlflow itself (a string constant cannot).
_CALLABLE_KINDS = frozenset({"q", "i", "f", "c", "o"})


@dataclass(frozen=True, slots=True)
class Outline:
    mlflow: bool  # the pre-filter lets the file through
    imports: Imports

    def to_json(self) -> str:
        data = [self.mlflow, self.imports.plain, self.imports.from_]
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Outline:
        mlflow, plain, from_ = json.loads(text)
        imports = Imports(tuple(plain), tuple((m, tuple(names)) for m, names in from_))
        return cls(bool(mlflow), imports)


@dataclass(slots=True)
class _File:
    entry: Entry
    path: str
    blob: str | None = None
    outline: Outline = field(default_factory=lambda: Outline(False, Imports((), ())))
    data: bytes | None = None  # kept while the file may still be analysed
    analysis: FileAnalysis | None = None
    summary: ModuleSummary = field(default_factory=ModuleSummary)
    digest: str | None = None  # of the context the analysis used; None: not analysed yet
    imports: dict[str, str] | None = None  # import spec -> module key, once resolved
    children: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.entry.path


def analyze_repository(
    repo: RepoRef,
    entries: list[Entry],
    settings: ScanSettings,
    cache: AnalysisCache | None,
    workers: AnalysisWorkers,
) -> Iterator[tuple[Entry, FileAnalysis]]:
    """Analyses of a directory's entries, in entry order, once the whole checkout is done."""
    prefix = os.path.join(repo.root, "")
    known = cache.known_files(repo.root) if cache is not None else {}
    outlines = cache.outlines_under(repo.root) if cache is not None else {}
    files = [
        _outlined(prefix + entry.path, entry, settings, cache, known, outlines) for entry in entries
    ]
    pending = [file for file in files if file.analysis is None]
    index = ModuleIndex(f.key for f in pending if f.entry.kind is FileKind.SCRIPT)
    by_key = {file.key: file for file in pending}
    levels = _levels(pending, index)
    for _ in range(MAX_ROUNDS):
        incoming = _incoming(pending)
        changed = False
        for level in levels:
            changed |= _resolve_level(level, index, by_key, incoming, settings, cache, workers)
        if not changed:
            break
    for file in files:
        yield file.entry, file.analysis or FileAnalysis(FileStatus.NO_MLFLOW)


def _outlined(
    path: str,
    entry: Entry,
    settings: ScanSettings,
    cache: AnalysisCache | None,
    known: dict[str, tuple[str, str | None]],
    outlines: dict[str, str],
) -> _File:
    """The file's outline, from the cache when its stat signature is unchanged, else read."""
    file = _File(entry, path)
    if entry.status is not None:
        file.analysis = FileAnalysis(entry.status, entry.detail)
        return file
    cap = settings.max_bytes(entry.kind)
    if entry.size > cap:
        detail = f"{entry.size} bytes is over the {cap}-byte cap"
        file.analysis = FileAnalysis(FileStatus.TOO_LARGE, detail)
        return file
    stamp = entry.stamp
    remembered = known.get(path)
    if stamp is not None and remembered is not None and remembered[0] == stamp.key:
        blob = remembered[1]
        if blob is not None and blob in outlines:
            file.blob, file.outline = blob, Outline.from_json(outlines[blob])
            return file
    data = _read(file, cap)
    if data is None:
        return file
    file.blob = blob_sha(data)
    notebook = entry.kind is FileKind.NOTEBOOK
    file.outline = Outline(may_use_mlflow(data), import_specs(data, notebook))
    file.data = data if file.outline.mlflow else None
    if cache is not None:
        if stamp is not None:
            cache.remember_file(path, stamp, file.blob)
        cache.remember_outline(file.blob, file.outline.to_json())
    return file


def _read(file: _File, cap: int) -> bytes | None:
    try:
        with open(file.path, "rb") as handle:
            data = handle.read(cap + 1)
    except OSError as error:
        file.analysis = FileAnalysis(FileStatus.UNREADABLE, f"cannot read: {error.strerror}")
        return None
    if len(data) > cap:
        file.analysis = FileAnalysis(FileStatus.TOO_LARGE, f"over the {cap}-byte cap")
        return None
    return data


def _dependencies(file: _File, index: ModuleIndex) -> set[str]:
    """The modules whose summaries the file's resolution reads: every package an `import
    a.b.c` runs, the module of a `from m import x` (and `m.x` if a submodule) and the
    conftest.py files above it. Not the packages above `m`: a package's `__init__` that
    imports its own modules would otherwise make a cycle of every package."""
    found = set(index.conftests(file.key))
    imports, children = _imports(file, index)
    found.update(imports.values())
    found.update(key for submodules in children.values() for key in submodules.values())
    return {key for key in found if not key.endswith("/") and key != file.key}


def _levels(files: list[_File], index: ModuleIndex) -> list[list[_File]]:
    """Files grouped so that each comes after what it imports; the members of an import cycle
    share a level (the rounds settle what they tell each other)."""
    by_key = {file.key: file for file in files}
    depends = {file.key: {d for d in _dependencies(file, index) if d in by_key} for file in files}
    component = _components(list(by_key), depends)
    level: dict[int, int] = {}
    for group in sorted(set(component.values())):  # Tarjan numbers dependencies first
        members = [key for key, c in component.items() if c == group]
        below = [
            level[component[d]] + 1
            for key in members
            for d in depends[key]
            if component[d] != group
        ]
        level[group] = max(below, default=0)
    grouped: dict[int, list[_File]] = {}
    for file in files:
        grouped.setdefault(level[component[file.key]], []).append(file)
    return [grouped[number] for number in sorted(grouped)]


def _components(keys: list[str], depends: dict[str, set[str]]) -> dict[str, int]:
    """Tarjan's strongly connected components, iteratively; numbered so that a component's
    dependencies have smaller numbers."""
    number: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component: dict[str, int] = {}
    counter = 0
    for root in keys:
        if root in number:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(depends[root])))]
        number[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in number:
                    number[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(depends[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], number[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == number[node]:
                group = len(set(component.values()))
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = group
                    if member == node:
                        break
    return component


def _incoming(files: list[_File]) -> Incoming:
    """What each module's functions are passed by the other modules, per call site; only
    for functions some call site passes an MLflow value to."""
    found: Incoming = {}
    for file in files:
        for call in file.summary.calls_out:
            arguments = [list(argument) for argument in call.arguments]
            found.setdefault(call.key, {}).setdefault(call.qualname, []).append(
                [call.implicit, arguments]
            )
    return {
        key: {
            name: sites
            for name, sites in functions.items()
            if any(argument[1] is not None for _, arguments in sites for argument in arguments)
        }
        for key, functions in found.items()
    }


def _context(
    file: _File,
    index: ModuleIndex,
    by_key: dict[str, _File],
    incoming: Incoming,
) -> RepoContext:
    imports, children = _imports(file, index)
    modules: dict[str, dict[str, Any]] = {}
    pending = [*imports.values(), *(k for sub in children.values() for k in sub.values())]
    while pending:
        key = pending.pop()
        source = by_key.get(key)
        if key in modules or source is None or not source.summary.meaningful:
            continue
        modules[key] = source.summary.exports()
        pending.extend(v[1] for v in source.summary.names.values() if v[0] == "m")
    fixtures: dict[str, list[Any]] = {}
    for conftest in index.conftests(file.key):
        source = by_key.get(conftest)
        if source is not None:
            fixtures.update(source.summary.fixtures)
    return RepoContext(file.key, imports, modules, children, fixtures, incoming.get(file.key, {}))


def _imports(file: _File, index: ModuleIndex) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """The file's import specs that reach modules of the checkout, and the submodules they
    reach through packages (resolved once: they do not change from round to round)."""
    if file.imports is None:
        file.imports = {}
        for spec in file.outline.imports.plain:
            parent: str | None = None
            for part in prefixes(spec):
                key = index.resolve(file.key, part)
                if key is None:
                    break
                file.imports[part] = key
                if parent is not None:
                    file.children.setdefault(parent, {})[part.rpartition(".")[2]] = key
                parent = key
        for module, names in file.outline.imports.from_:
            key = index.resolve(file.key, module)
            if key is None:
                continue
            file.imports[module] = key  # `from . import x` in a package's own __init__ too
            for name in names:
                child = index.resolve(
                    file.key, module + ("" if module.endswith(".") else ".") + name
                )
                if child is not None:
                    file.children.setdefault(key, {})[name] = child
    return file.imports, file.children


def _trivial(context: RepoContext) -> bool:
    return not (context.imports or context.fixtures or context.incoming)


def _callees(file: _File, incoming: Incoming) -> set[str]:
    """Names of the functions and classes, in the modules this file imports, that other
    modules pass MLflow values to: a call of one here (with a stub, say) must be heard too."""
    return {
        qualname.split(".", 1)[0]
        for key in set((file.imports or {}).values())
        for qualname in incoming.get(key, {})
    }


def _digest(context: RepoContext, callees: set[str]) -> str:
    extra = ",".join(sorted(callees)).encode("utf-8")
    return hashlib.sha256(context.digest().encode("ascii") + b"|" + extra).hexdigest()[:20]


def _relevant_words(context: RepoContext, callees: set[str]) -> set[str] | None:
    """For a file the pre-filter ruled out: the words whose mention in it could let its
    context change what it resolves to or what it tells others (a callable name of a module
    it imports, a fixture, a function others pass MLflow values to); None when anything
    could (it receives MLflow values itself, or imports a module that star-imports mlflow)."""
    if context.incoming or any(exports.get("star") for exports in context.modules.values()):
        return None
    words = set(context.fixtures) | callees
    for exports in context.modules.values():
        words.update(n for n, v in exports["names"].items() if _callable(v))
    return words


def _callable(encoded: list[Any]) -> bool:
    """A summarised value that can make a call MLflow's: not a string, nor a class (or
    instance) that holds nothing but strings (a config class)."""
    kind = encoded[0]
    if kind == "o":
        return _callable(encoded[1])
    if kind == "c":
        _, attrs, methods, properties, extends = encoded
        return bool(methods or properties or extends) or any(map(_callable, attrs.values()))
    return kind in _CALLABLE_KINDS


def _mentions(data: bytes, words: set[str] | None) -> bool:
    if words is None:
        return True
    if not words:
        return False
    names = b"|".join(re.escape(word.encode("utf-8")) for word in sorted(words))
    return re.search(rb"\b(?:" + names + rb")\b", data) is not None


def _resolve_level(
    level: list[_File],
    index: ModuleIndex,
    by_key: dict[str, _File],
    incoming: Incoming,
    settings: ScanSettings,
    cache: AnalysisCache | None,
    workers: AnalysisWorkers,
) -> bool:
    """Resolve the files of one level whose context changed; whether any summary changed."""
    submitted: list[tuple[_File, RepoContext, str | None, Future[tuple[FileAnalysis, str]]]] = []
    changed = False
    for file in level:
        context = _context(file, index, by_key, incoming)
        callees = _callees(file, incoming)
        digest = "" if _trivial(context) else _digest(context, callees)
        if digest == file.digest:
            continue
        before = file.summary
        file.digest = digest
        words = _relevant_words(context, callees)
        if not file.outline.mlflow and words is not None and not words:
            file.analysis, file.summary = FileAnalysis(FileStatus.NO_MLFLOW), ModuleSummary()
            changed |= file.summary != before
            continue
        key = (
            cache.context_key(file.blob, file.entry.kind.value, digest)
            if (cache is not None and file.blob is not None)
            else None
        )
        cached = _cached(cache, key)
        if cached is not None:
            file.analysis, file.summary = cached
            changed |= file.summary != before
            continue
        data = (
            file.data if file.data is not None else _read(file, settings.max_bytes(file.entry.kind))
        )
        if data is None:
            continue
        if not file.outline.mlflow and not _mentions(data, words):
            file.analysis, file.summary = FileAnalysis(FileStatus.NO_MLFLOW), ModuleSummary()
            if cache is not None and key is not None:  # a rerun need not read it
                cache.put(key, file.analysis)
                cache.put_summary(key, file.summary.to_json())
            changed |= file.summary != before
            continue
        file.data = data
        future = workers.submit_task(analyze_task, data, file.entry.kind, context.to_json())
        submitted.append((file, context, key, future))
    for file, context, key, future in submitted:
        before = file.summary
        crashed = (
            FileAnalysis(FileStatus.CRASH, "the analyzer's worker process died on this file"),
            ModuleSummary().to_json(),
        )
        assert file.data is not None
        args = (file.data, file.entry.kind, context.to_json())
        analysis, summary = workers.task_result(future, analyze_task, args, crashed)
        file.analysis, file.summary = analysis, ModuleSummary.from_json(summary)
        file.data = None
        if cache is not None and key is not None and analysis.status is not FileStatus.CRASH:
            cache.put(key, analysis)
            cache.put_summary(key, summary)
        changed |= file.summary != before
    return changed


def _cached(
    cache: AnalysisCache | None, key: str | None
) -> tuple[FileAnalysis, ModuleSummary] | None:
    if cache is None or key is None:
        return None
    summary = cache.summary(key)
    if summary is None:
        return None
    analysis = cache.get(key)
    return None if analysis is None else (analysis, ModuleSummary.from_json(summary))


def analyze_task(data: bytes, kind: FileKind, context: str) -> tuple[FileAnalysis, str]:
    """One file of a repository, in a worker process: its analysis and its summary."""
    from analyzers.code.analyze import analyze_in_repository  # the parser loads here only

    analysis, summary = analyze_in_repository(data, kind, RepoContext.from_json(context))
    return analysis, summary.to_json()
