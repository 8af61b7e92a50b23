"""A real HTTP server that answers like the parts of the GitHub REST API the crawler uses.

It searches an in-memory list of repositories (`topic:`, `created:`, `pushed:`, `stars:`,
`language:`... really filter it), caps searches at 1000 results the way GitHub does, paginates
with `Link` headers, sends rate-limit headers with every answer, answers `/rate_limit`, records
every request, and plays scripted faults (rate limits, 5xx, dropped connections) on cue. With
`always_incomplete`, every search says `incomplete_results: true`, as GitHub does when its
search times out.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
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

    def _answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if path == "/search/repositories":
            return self._search(query)
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
                    status, headers, body = fake._answer(path, query)
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


def _parse_query(q: str) -> Callable[[FakeRepo], bool]:
    tests: list[Callable[[FakeRepo], bool]] = []
    forks = "false"
    for token in q.split():
        key, sep, value = token.partition(":")
        lowered = value.lower()
        if not sep:
            word = token.lower()
            tests.append(
                lambda r, w=word: w in r.full_name.lower() or w in (r.description or "").lower()
            )
        elif key == "topic":
            tests.append(lambda r, v=lowered: v in r.topics)
        elif key == "language":
            tests.append(lambda r, v=lowered: (r.language or "").lower() == v)
        elif key in ("created", "pushed"):
            low, high = _range(value, _time)
            attr = "created" if key == "created" else "pushed"
            tests.append(lambda r, a=attr, lo=low, hi=high: lo <= getattr(r, a) <= hi)
        elif key in ("stars", "forks", "size"):
            low, high = _range(value, lambda text, _upper: int(text))
            tests.append(lambda r, a=key, lo=low, hi=high: lo <= getattr(r, a) <= hi)
        elif key == "archived" and value in ("true", "false"):
            tests.append(lambda r, v=value == "true": r.archived == v)
        elif key == "fork" and value in ("true", "only"):
            forks = value
        elif key == "is" and value == "public":
            pass
        else:
            raise ValueError(f"the fake does not know the qualifier {token!r}")
    # Like GitHub, forks are left out unless the query asks for them.
    if forks == "false":
        tests.append(lambda r: not r.fork)
    elif forks == "only":
        tests.append(lambda r: r.fork)
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
