"""A real HTTP server that answers like the parts of the GitHub REST API the crawler uses.

It searches an in-memory list of repositories (`topic:`, `created:`, `pushed:`, `stars:`,
`language:`... really filter it), caps searches at 1000 results the way GitHub does, paginates
with `Link` headers, sends rate-limit headers with every answer, answers `/rate_limit`, records
every request, and plays scripted faults (rate limits, 5xx, dropped connections) on cue. With
`always_incomplete`, every repository search says `incomplete_results: true`, as GitHub does
when its search times out.

Code search (`/search/code`, see `FakeGitHub._search_code`) searches the files each repository
holds (`FakeRepo.code`): words and quoted phrases, `size:`, `language:`, `filename:`,
`extension:`, `path:`, `repo:`, `user:`/`org:` and `fork:` really filter; it caps at 1000
results, answers with the minimal repository objects GitHub's code search returns, needs a
token, says `incomplete_results` when `code_incomplete` says so, and has its own rate limit
(`code_search_limit` requests per minute of `clock`, refused with 403 or 429 and the headers
GitHub sends for the `code_search` resource).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import shlex
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# The fake "now": tests run their crawls on a clock starting here.
T0 = int(datetime(2025, 6, 15, 12, 0, 0, tzinfo=UTC).timestamp())
SEARCH_CAP = 1000
RATE_LIMIT = 5000


@dataclass(frozen=True)
class FakeFile:
    """A file of a repository as code search indexes it."""

    path: str
    content: str = ""
    size: int = -1  # default: the content's length in bytes

    @property
    def bytes(self) -> int:
        return self.size if self.size >= 0 else len(self.content.encode())

    @property
    def language(self) -> str:
        extension = self.path.rpartition(".")[2].lower()
        return {"py": "python", "ipynb": "jupyter notebook", "txt": "text"}.get(extension, "")


def code_files(files: dict[str, str | bytes]) -> tuple[FakeFile, ...]:
    """FakeFiles for the text files of a repository built from `files` (make_git_repo's)."""
    return tuple(
        FakeFile(path, content)
        for path, content in sorted(files.items())
        if isinstance(content, str)
    )


@dataclass(frozen=True)
class FakeRepo:
    full_name: str
    created: int  # seconds since the epoch
    topics: tuple[str, ...] = ()
    stars: int = 0
    forks: int = 0
    size: int = 100
    language: str | None = "Python"
    license: str | None = "mit"
    description: str | None = None
    default_branch: str = "main"
    pushed: int = T0 - 86400
    archived: bool = False
    fork: bool = False
    state: str = "ok"  # ok | empty (no commits) | blocked (451) | gone (deleted after indexing)
    clone_url: str = ""  # default: the github.com URL; tests may serve a real repo over file://
    head_sha: str = ""  # default: derived from the name
    code: tuple[FakeFile, ...] = ()  # what code search finds in the repository

    @property
    def head(self) -> str:
        return self.head_sha or hashlib.sha1(self.full_name.encode()).hexdigest()

    def api(self, base: str) -> dict[str, Any]:
        owner, name = self.full_name.split("/")
        licence = None
        if self.license:
            spdx = {"mit": "MIT", "apache-2.0": "Apache-2.0", "other": "NOASSERTION"}
            licence = {
                "key": self.license,
                "name": self.license.upper(),
                "spdx_id": spdx.get(self.license, self.license.upper()),
                "url": None,
                "node_id": "MDc6TGljZW5zZTA=",
            }
        return {
            "id": int(self.head[:8], 16),
            "node_id": "R_" + self.head[:10],
            "name": name,
            "full_name": self.full_name,
            "private": False,
            "owner": {"login": owner, "id": 1, "type": "User", "url": f"{base}/users/{owner}"},
            "html_url": f"https://github.com/{self.full_name}",
            "url": f"{base}/repos/{self.full_name}",
            "clone_url": self.clone_url or f"https://github.com/{self.full_name}.git",
            "description": self.description,
            "fork": self.fork,
            "created_at": _iso(self.created),
            "updated_at": _iso(self.pushed),
            "pushed_at": _iso(self.pushed),
            "size": self.size,
            "stargazers_count": self.stars,
            "watchers_count": self.stars,
            "forks_count": self.forks,
            "language": self.language,
            "archived": self.archived,
            "disabled": False,
            "license": licence,
            "topics": list(self.topics),
            "visibility": "public",
            "default_branch": self.default_branch,
            "score": 1.0,
        }

    def minimal_api(self, base: str) -> dict[str, Any]:
        """The repository object a code search result carries: no stars, dates, branch..."""
        full = self.api(base)
        keep = ("id", "node_id", "name", "full_name", "private", "owner", "html_url")
        return {
            **{key: full[key] for key in keep},
            "description": self.description,
            "fork": self.fork,
            "url": full["url"],
            "contents_url": f"{full['url']}/contents/{{+path}}",
        }


def make_world(
    *, project: int = 2500, projects: int = 300, both: int = 120, other: int = 150, seed: int = 7
) -> list[FakeRepo]:
    """A deterministic population: `project` repositories on topic mlflow-project, `projects`
    on mlflow-projects (`both` of them on both), `other` on neither, created mostly in recent
    years, plus a handful of awkward ones (formula description, empty, blocked, deleted...)."""
    rng = random.Random(seed)
    first = int(datetime(2018, 6, 1, tzinfo=UTC).timestamp())
    last = T0 - 7 * 86400
    burst = int(datetime(2021, 3, 3, 3, 3, 3, tzinfo=UTC).timestamp())
    repos: list[FakeRepo] = []

    def topics_of(i: int) -> tuple[str, ...]:
        if i < both:
            return ("machine-learning", "mlflow-project", "mlflow-projects")
        if i < project:
            return ("mlflow-project",) if i % 3 else ("mlflow", "mlflow-project")
        if i < project + projects - both:
            return ("mlflow-projects",)
        return ("machine-learning",)

    for i in range(project + projects - both + other):
        # Skewed towards recent years, like real adoption; 40 share one second.
        created = burst if 200 <= i < 240 else first + int((last - first) * rng.random() ** 0.5)
        owner = f"{'Org' if i % 7 == 0 else 'user'}{i % 97:02d}"
        repos.append(
            FakeRepo(
                full_name=f"{owner}/repo-{i:05d}",
                created=created,
                topics=topics_of(i),
                stars=int(rng.paretovariate(1.2)) - 1,
                forks=rng.randrange(0, 20),
                size=rng.randrange(1, 50_000),
                language=rng.choice(["Python", "Python", "Python", "Jupyter Notebook", "R", None]),
                license=rng.choice(["mit", "apache-2.0", None, "other"]),
                description=rng.choice(
                    [
                        None,
                        "An MLflow project",
                        'quotes "and", commas',
                        "line\nbreak",
                        "naïve ünïcode",
                    ]
                ),
                default_branch=rng.choice(["main", "master"]),
                pushed=created + rng.randrange(0, max(1, last - created)),
                archived=rng.random() < 0.05,
            )
        )
    day = 86400
    repos += [
        FakeRepo(
            "acme/formula",
            T0 - 400 * day,
            ("mlflow-project",),
            stars=3,
            description='=HYPERLINK("http://evil.invalid","click")',
        ),
        FakeRepo("acme/empty-repo", T0 - 300 * day, ("mlflow-project",), size=0, state="empty"),
        FakeRepo("acme/blocked", T0 - 200 * day, ("mlflow-project",), state="blocked"),
        FakeRepo("acme/gone", T0 - 100 * day, ("mlflow-projects",), state="gone"),
        FakeRepo("acme/slashy", T0 - 50 * day, ("mlflow-projects",), default_branch="release/v1"),
        FakeRepo("acme/a-fork", T0 - 40 * day, ("mlflow-project",), fork=True),
        FakeRepo("acme/tomorrow", T0 + day, ("mlflow-project",)),  # created after the crawl
    ]
    return repos


def make_code_world(
    *, repos: int = 400, same_size: int = 0, huge: int = 2, forks: int = 5, seed: int = 11
) -> list[FakeRepo]:
    """A deterministic population for code search: `repos` repositories holding one to eight
    files each, most of them Python that imports mlflow (sizes skewed small, like real code),
    some notebooks and requirements files; `same_size` more files of exactly 4096 bytes (a
    slice no size qualifier can split), `huge` files above the 384 KB GitHub indexes, and
    `forks` forked repositories."""
    rng = random.Random(seed)
    first = int(datetime(2019, 1, 1, tzinfo=UTC).timestamp())
    world: list[FakeRepo] = []
    for i in range(repos):
        files = []
        for j in range(rng.randint(1, 8)):
            kind = rng.random()
            size = max(10, int(rng.lognormvariate(8, 1.2)))
            if kind < 0.7:
                content = "import mlflow\nmlflow.log_param('a', 1)\n" if rng.random() < 0.8 else ""
                files.append(FakeFile(f"src/mod_{j}.py", content or "import numpy\n", size))
            elif kind < 0.85:
                files.append(FakeFile(f"nb_{j}.ipynb", '{"cells": ["import mlflow"]}', size))
            else:
                files.append(FakeFile(f"req_{j}/requirements.txt", "mlflow==2.9.0\n", size))
        world.append(
            FakeRepo(
                full_name=f"coder{i % 53:02d}/code-{i:04d}",
                created=first + rng.randrange(0, T0 - first - 86400),
                stars=rng.randrange(0, 40),
                code=tuple(files),
                fork=i < forks,
                archived=i % 17 == 0,
            )
        )
    same = tuple(
        FakeFile(f"gen/part_{k:04d}.py", "import mlflow\n", 4096) for k in range(same_size)
    )
    if same:
        world.append(FakeRepo("bulk/generated", first, code=same[: same_size // 2]))
        world.append(FakeRepo("bulk/generated-too", first, code=same[same_size // 2 :]))
    for k in range(huge):
        big = FakeFile(f"vendor/huge_{k}.py", "import mlflow\n", 400_000 + k)
        world.append(FakeRepo(f"large/huge-{k}", first, code=(big,)))
    return world


@dataclass
class Fault:
    """A scripted answer: `status` with `headers` and a JSON `body`, or a dropped connection,
    after `delay` seconds. Status 200 means the normal answer, with `headers` added."""

    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    drop: bool = False
    delay: float = 0.0
    served: threading.Event = field(default_factory=threading.Event)  # set when first used

    def payload(self) -> Any:
        if self.body is not None:
            return self.body
        return {
            "message": {
                500: "Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
                429: "Too Many Requests",
            }.get(self.status, "Fault")
        }


@dataclass
class _Rule:
    fault: Fault
    at: int | None  # answer exactly the n-th request (1-based)
    path: str | None  # ... or the next `times` requests whose path starts with this
    times: int | None  # None: forever


@dataclass(frozen=True)
class Recorded:
    number: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int


class FakeGitHub:
    """Serve `repos` on 127.0.0.1 at a random port; use as a context manager."""

    def __init__(self, repos: list[FakeRepo]) -> None:
        self.repos = list(repos)
        self._by_name = {repo.full_name.lower(): repo for repo in self.repos}
        self.requests: list[Recorded] = []
        self.on_request: Callable[[Recorded], None] | None = None
        self.always_incomplete = False
        self._rules: list[_Rule] = []
        # Code search: its own bucket, `code_search_limit` requests per minute of `clock`.
        self.clock: Callable[[], float] = time.time
        self.code_search_limit = 10
        self.code_search_refusal = 403  # or 429
        self.code_incomplete: Callable[[str, int], bool] = lambda query, matches: False
        self._code_window = (0.0, 0)  # (reset time, requests used in the window)
        # Renamed repositories: old full name -> new; /repos/OLD answers 301 to the new name.
        self.renamed: dict[str, str] = {}
        self._used = {"core": 0, "search": 0}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def fail(
        self, fault: Fault, *, at: int | None = None, path: str | None = None, times: int | None = 1
    ) -> None:
        """Answer with `fault` at request number `at`, or the next `times` requests under
        `path`."""
        with self._lock:
            self._rules.append(_Rule(fault, at, path, times))

    def count(self, prefix: str = "/") -> int:
        return sum(1 for r in self.requests if r.path.startswith(prefix))

    # --- the API -------------------------------------------------------------------------

    def _answer(
        self, path: str, query: dict[str, str], request: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        if path == "/search/repositories":
            return self._search(query)
        if path == "/search/code":
            return self._search_code(query, request or {})
        if path == "/rate_limit":
            with self._lock:
                used = dict(self._used)
            limits = {
                name: {"limit": RATE_LIMIT, "used": n, "remaining": RATE_LIMIT - n, "reset": T0}
                for name, n in used.items()
            }
            return 200, {}, {"resources": limits, "rate": limits["core"]}
        match = re.fullmatch(r"/repos/([^/]+)/([^/]+)(?:/(branches|commits)/(.+))?", path)
        if not match:
            return 404, {}, {"message": "Not Found"}
        moved = self.renamed.get(f"{match[1]}/{match[2]}".lower())
        if moved is not None:
            return self._moved(path, f"{match[1]}/{match[2]}", moved)
        return self._repo_answer(match)

    def _repo_answer(self, match: re.Match[str]) -> tuple[int, dict[str, str], Any]:
        """/repos/OWNER/NAME, and its /branches/REF and /commits/REF."""
        repo = self._by_name.get(f"{match[1]}/{match[2]}".lower())
        if repo is None or repo.state == "gone":
            return 404, {}, {"message": "Not Found"}
        if repo.state == "blocked":
            return (
                451,
                {},
                {
                    "message": "Repository access blocked",
                    "block": {"reason": "dmca", "created_at": _iso(T0)},
                },
            )
        if match[3] is None:
            return 200, {}, repo.api(self.url)
        ref = urllib.parse.unquote(match[4])
        if match[3] == "commits":
            if repo.state == "empty":
                return 409, {}, {"message": "Git Repository is empty."}
            if ref not in (repo.default_branch, repo.head):
                return 422, {}, {"message": f"No commit found for SHA: {ref}"}
            return 200, {}, {"sha": repo.head, "commit": {"message": "head"}}
        if repo.state == "empty" or ref != repo.default_branch:
            return 404, {}, {"message": "Branch not found"}
        return (
            200,
            {},
            {
                "name": ref,
                "protected": False,
                "commit": {
                    "sha": repo.head,
                    "url": f"{self.url}/repos/{repo.full_name}/commits/{repo.head}",
                },
            },
        )

    def _search(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        q = query.get("q", "")
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        try:
            matcher = _parse_query(q)
        except ValueError as exc:
            return (
                422,
                {},
                {
                    "message": "Validation Failed",
                    "errors": [
                        {"message": str(exc), "resource": "Search", "field": "q", "code": "invalid"}
                    ],
                },
            )
        found = sorted((r for r in self.repos if matcher(r)), key=lambda r: (-r.stars, r.full_name))
        if (page - 1) * per_page >= SEARCH_CAP:
            return (
                422,
                {},
                {
                    "message": "Only the first 1000 search results are available",
                    "documentation_url": "https://docs.github.com/v3/search/",
                },
            )
        reachable = found[:SEARCH_CAP]
        items = reachable[(page - 1) * per_page : page * per_page]
        last = max(1, math.ceil(len(reachable) / per_page))

        def link(n: int) -> str:
            params = urllib.parse.urlencode({"q": q, "per_page": per_page, "page": n})
            return f"<{self.url}/search/repositories?{params}>"

        rels = []
        if page < last:
            rels += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
        if page > 1:
            rels += [f'{link(page - 1)}; rel="prev"', f'{link(1)}; rel="first"']
        headers = {"Link": ", ".join(rels)} if rels else {}
        body = {
            "total_count": len(found),
            "incomplete_results": self.always_incomplete,
            "items": [r.api(self.url) for r in items],
        }
        return 200, headers, body

    def _moved(self, path: str, old: str, new: str) -> tuple[int, dict[str, str], Any]:
        """GitHub's answer for a renamed repository: a permanent redirect to its new name."""
        target = f"{self.url}/repos/{new}{path[len('/repos/') + len(old) :]}"
        return 301, {"Location": target}, {"message": "Moved Permanently", "url": target}

    # --- code search ---------------------------------------------------------------------

    def _code_rate(self) -> tuple[bool, dict[str, str]]:
        """Count one code search in the current minute: (allowed, the rate-limit headers)."""
        with self._lock:
            now = self.clock()
            reset, used = self._code_window
            if now >= reset:
                reset, used = float(math.ceil(now) + 60), 0
            allowed = used < self.code_search_limit
            used += allowed
            self._code_window = (reset, used)
        headers = {
            "X-RateLimit-Limit": str(self.code_search_limit),
            "X-RateLimit-Remaining": str(self.code_search_limit - used),
            "X-RateLimit-Reset": str(int(reset)),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Resource": "code_search",
        }
        return allowed, headers

    def _search_code(
        self, query: dict[str, str], request: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        if not any(key.lower() == "authorization" for key in request):
            return (
                401,
                {},
                {
                    "message": "Requires authentication",
                    "errors": [
                        {
                            "message": "Must be authenticated to access the code search API",
                            "resource": "Search",
                            "field": "q",
                            "code": "invalid",
                        }
                    ],
                },
            )
        allowed, rate = self._code_rate()
        if not allowed:
            body = {
                "message": "API rate limit exceeded for user ID 1.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits",
            }
            return self.code_search_refusal, rate, body
        q = query.get("q", "")
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        try:
            matcher = _parse_code_query(q)
        except ValueError as exc:
            error = {"message": str(exc), "resource": "Search", "field": "q", "code": "invalid"}
            return 422, rate, {"message": "Validation Failed", "errors": [error]}
        found = sorted(
            ((repo, file) for repo in self.repos for file in repo.code if matcher(repo, file)),
            key=lambda hit: hashlib.sha1(f"{hit[0].full_name}/{hit[1].path}".encode()).digest(),
        )
        if (page - 1) * per_page >= SEARCH_CAP:
            return 422, rate, {"message": "Only the first 1000 search results are available"}
        reachable = found[:SEARCH_CAP]
        items = reachable[(page - 1) * per_page : page * per_page]
        last = max(1, math.ceil(len(reachable) / per_page))
        links = []
        if page < last:
            params = urllib.parse.urlencode({"q": q, "per_page": per_page, "page": page + 1})
            links.append(f'<{self.url}/search/code?{params}>; rel="next"')
        body = {
            "total_count": len(found),
            "incomplete_results": self.code_incomplete(q, len(found)),
            "items": [self._code_item(repo, file) for repo, file in items],
        }
        return 200, {**rate, **({"Link": ", ".join(links)} if links else {})}, body

    def _code_item(self, repo: FakeRepo, file: FakeFile) -> dict[str, Any]:
        sha = hashlib.sha1(f"blob {file.bytes}\0{file.content}".encode()).hexdigest()
        return {
            "name": file.path.rpartition("/")[2],
            "path": file.path,
            "sha": sha,
            "url": f"{self.url}/repos/{repo.full_name}/contents/{file.path}?ref={repo.head}",
            "git_url": f"{self.url}/repos/{repo.full_name}/git/blobs/{sha}",
            "html_url": f"https://github.com/{repo.full_name}/blob/{repo.head}/{file.path}",
            "repository": repo.minimal_api(self.url),
            "score": 1.0,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One segment per answer, not headers and body apart: otherwise Nagle's algorithm
            # and delayed ACKs add 40 ms to every request.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                path = urllib.parse.unquote(parts.path)
                query = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items()}
                resource = "search" if path.startswith("/search/") else "core"
                with fake._lock:
                    number = len(fake.requests) + 1
                    fault = fake._pick_fault(number, path)
                    fake._used[resource] += 1
                    used = fake._used[resource]
                if fault is not None:
                    fault.served.set()
                if fault is not None and fault.delay:
                    time.sleep(fault.delay)
                if fault is not None and fault.drop:
                    status, headers, body = 0, {}, None
                elif fault is not None and fault.status != 200:
                    status, headers, body = fault.status, dict(fault.headers), fault.payload()
                else:
                    status, headers, body = fake._answer(path, query, dict(self.headers.items()))
                    headers.update(fault.headers if fault else {})
                recorded = Recorded(number, "GET", path, query, dict(self.headers.items()), status)
                with fake._lock:
                    fake.requests.append(recorded)
                if fake.on_request is not None:
                    fake.on_request(recorded)
                if status == 0:
                    self.close_connection = True
                    return
                rate = {
                    "X-RateLimit-Limit": str(RATE_LIMIT),
                    "X-RateLimit-Remaining": str(max(RATE_LIMIT - used, 1)),
                    "X-RateLimit-Reset": str(T0 + 3600),
                    "X-RateLimit-Used": str(used),
                    "X-RateLimit-Resource": resource,
                }
                # A str body is sent as it is, like the HTML of a failing proxy.
                text = isinstance(body, str)
                data = body.encode() if text else json.dumps(body).encode()
                kind = "text/html" if text else "application/json"
                try:
                    self.send_response(status)
                    for name, value in {**rate, **headers}.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", f"{kind}; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client went away, e.g. a crawl killed mid-request
                    self.close_connection = True

            def log_message(self, *_: Any) -> None:
                pass

        return Handler

    def _pick_fault(self, number: int, path: str) -> Fault | None:
        for rule in self._rules:
            if rule.at is not None:
                if rule.at == number:
                    return rule.fault
            elif (rule.path is None or path.startswith(rule.path)) and rule.times != 0:
                if rule.times is not None:
                    rule.times -= 1
                return rule.fault
        return None


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A running fake GitHub holding `make_world()`."""
    with FakeGitHub(make_world()) as server:
        yield server


# --- the search query language ---------------------------------------------------------------


RepoTest = Callable[[FakeRepo], bool]
FileTest = Callable[[FakeRepo, FakeFile], bool]


def _numbers(text: str, _upper: bool) -> int:
    return int(text)


def _between(attr: str, value: str, parse: Callable[[str, bool], int]) -> RepoTest:
    low, high = _range(value, parse)
    return lambda r: low <= getattr(r, attr) <= high


# One entry per repository search qualifier: the test it adds, or None for a value it rejects.
REPO_QUALIFIERS: dict[str, Callable[[str], RepoTest | None]] = {
    "topic": lambda v: lambda r: v.lower() in r.topics,
    "language": lambda v: lambda r: (r.language or "").lower() == v.lower(),
    "created": lambda v: _between("created", v, _time),
    "pushed": lambda v: _between("pushed", v, _time),
    "stars": lambda v: _between("stars", v, _numbers),
    "forks": lambda v: _between("forks", v, _numbers),
    "size": lambda v: _between("size", v, _numbers),
    "archived": lambda v: (
        (lambda r: r.archived == (v == "true")) if v in ("true", "false") else None
    ),
    "is": lambda v: _any_repo if v == "public" else None,
}


def _any_repo(repo: FakeRepo) -> bool:
    return True


def _any_file(repo: FakeRepo, file: FakeFile) -> bool:
    return True


def _fork_test(forks: str) -> RepoTest:
    """Like GitHub, forks are left out unless the query asks for them."""
    if forks == "only":
        return lambda r: r.fork
    if forks == "true":
        return _any_repo
    return lambda r: not r.fork


def _parse_query(q: str) -> RepoTest:
    tests: list[RepoTest] = []
    forks = "false"
    for token in q.split():
        key, sep, value = token.partition(":")
        if not sep:
            word = token.lower()
            tests.append(
                lambda r, w=word: w in r.full_name.lower() or w in (r.description or "").lower()
            )
            continue
        if key == "fork" and value in ("true", "only"):
            forks = value
            continue
        test = REPO_QUALIFIERS[key](value) if key in REPO_QUALIFIERS else None
        if test is None:
            raise ValueError(f"the fake does not know the qualifier {token!r}")
        tests.append(test)
    tests.append(_fork_test(forks))
    return lambda repo: all(test(repo) for test in tests)


def _range(spec: str, parse: Callable[[str, bool], int]) -> tuple[float, float]:
    inf = float("inf")
    if ".." in spec:
        low, high = spec.split("..", 1)
        return (-inf if low == "*" else parse(low, False)), (
            inf if high == "*" else parse(high, True)
        )
    for op in (">=", "<=", ">", "<"):
        if spec.startswith(op):
            value = spec[len(op) :]
            if op == ">=":
                return parse(value, False), inf
            if op == ">":
                return parse(value, True) + 1, inf
            if op == "<=":
                return -inf, parse(value, True)
            return -inf, parse(value, False) - 1
    return parse(spec, False), parse(spec, True)


def _time(text: str, upper: bool) -> int:
    """A search date or date-time as seconds; a bare date as an upper bound means its last
    second."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = datetime.fromisoformat(text).replace(tzinfo=UTC)
        if upper:
            day += timedelta(days=1, seconds=-1)
        return int(day.timestamp())
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _file_size(value: str) -> FileTest:
    low, high = _range(value, _numbers)
    return lambda r, f: low <= f.bytes <= high


def _owner(value: str) -> FileTest:
    return lambda r, f: r.full_name.lower().split("/")[0] == value.lower()


# One entry per code search qualifier: the test it adds, or None for a value it rejects.
CODE_QUALIFIERS: dict[str, Callable[[str], FileTest | None]] = {
    "size": _file_size,
    "language": lambda v: lambda r, f: f.language == v.lower(),
    "filename": lambda v: lambda r, f: f.path.rpartition("/")[2].lower() == v.lower(),
    "extension": lambda v: lambda r, f: f.path.lower().endswith("." + v.lower().lstrip(".")),
    "path": lambda v: lambda r, f: f.path.lower().startswith(v.lower().strip("/")),
    "repo": lambda v: lambda r, f: r.full_name.lower() == v.lower(),
    "user": _owner,
    "org": _owner,
    "in": lambda v: _any_file if v in ("file", "path", "file,path") else None,
}


def _parse_code_query(q: str) -> FileTest:
    """Code search: words and "quoted phrases" in the content or path, and qualifiers."""
    tests: list[FileTest] = []
    forks = "false"
    for token in shlex.split(q):
        key, sep, value = token.partition(":")
        if not sep or " " in key:
            word = token.lower()
            tests.append(lambda r, f, w=word: w in f.content.lower() or w in f.path.lower())
            continue
        if key == "fork" and value in ("true", "only"):
            forks = value
            continue
        test = CODE_QUALIFIERS[key](value) if key in CODE_QUALIFIERS else None
        if test is None:
            raise ValueError(f"the fake does not know the code search qualifier {token!r}")
        tests.append(test)
    repo_test = _fork_test(forks)
    return lambda repo, file: repo_test(repo) and all(test(repo, file) for test in tests)
