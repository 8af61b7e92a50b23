"""GitHub REST reads with one deterministic policy for rate limits, back-off and retries.

PyGithub does the HTTP. Its own urllib3 retrying (GithubRetry) is switched off, because it sleeps
with `time.sleep` on its own schedule; here every wait goes through an injected `sleep`, so a
test can prove how long the crawler waited without waiting.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from github import Auth, Github, GithubException
from github.Requester import Requester

DEFAULT_BASE_URL = "https://api.github.com"
CORE = "core"
SEARCH = "search"
COUNTDOWN_STEP = 10  # seconds slept at a time while waiting out a rate limit


def redact(text: str, token: str | None) -> str:
    """`text` with `token` blanked out, for anything that leaves the process."""
    return text.replace(token, "[token]") if token else text


class GithubApiError(Exception):
    """A request that failed for good. The message never contains the token."""

    def __init__(self, message: str, status: int | None = None, gave_up: bool = False) -> None:
        super().__init__(message)
        self.status = status
        # True when the request was retryable but the retries or rate-limit waits ran out.
        self.gave_up = gave_up

    @property
    def environment(self) -> bool:
        """The machine's setup is to blame, not the request: the token was refused."""
        return self.status == 401


class ApiUnreachable(GithubApiError):
    """No HTTP answer at all (refused, dropped or timed-out connections) until the retries ran
    out: the network or the API URL, not the request."""

    @property
    def environment(self) -> bool:
        return True


class ApiConfigError(ValueError):
    """GITHUB_API_URL or GITHUB_TOKEN cannot be used; the message names the variable."""

    environment = True


def token_from_environment() -> str | None:
    """GITHUB_TOKEN without surrounding whitespace (a pasted newline), None if unset or empty."""
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if any(not c.isprintable() or c.isspace() for c in token):
        raise ApiConfigError("GITHUB_TOKEN holds spaces or control characters: no token does")
    return token or None


def api_url_from_environment() -> str:
    """GITHUB_API_URL if set (checked), else GitHub's own API."""
    url = os.environ.get("GITHUB_API_URL", "").strip()
    return check_api_url(url, "GITHUB_API_URL") if url else DEFAULT_BASE_URL


def check_api_url(url: str, source: str = "GITHUB_API_URL") -> str:
    """`url` if it is an http(s) URL with a host, else `ApiConfigError` naming `source`."""
    parts = urllib.parse.urlsplit(url.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in url.strip())
    ):
        shown = redact(url, urllib.parse.unquote(parts.password or "") or None)
        raise ApiConfigError(
            f"{source}={shown!r} is not an http(s) URL with a host (e.g. {DEFAULT_BASE_URL})"
        )
    return url.strip()


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before a request counts as failed."""

    max_retries: int = 5  # for 5xx answers, timeouts, dropped connections, truncated bodies
    backoff: float = 1.0  # first wait after such a failure; doubles each retry
    secondary_wait: float = 60.0  # GitHub asks for at least a minute when it gives no Retry-After
    max_rate_limit_waits: int = 10  # per request; guards against a server that never resets
    timeout: int = 30  # seconds per HTTP request
    # Per request: retrying stops once its failed attempts and back-off waits reach this (a dead
    # API costs at most this plus one request's timeout). Rate-limit waits do not count.
    max_retry_seconds: float = 60.0


@dataclass
class ClientStats:
    requests: int = 0  # HTTP requests sent, retries included
    retries: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0  # everything passed to `sleep`


@dataclass
class _Bucket:
    remaining: int | None = None
    reset: float = 0.0


class GithubClient:
    """GET requests against the GitHub REST API through PyGithub's Requester."""

    def __init__(
        self,
        *,
        base_url: str,
        token: str | None,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        progress: Callable[[str], None],
        policy: RetryPolicy | None = None,
        user_agent: str = "mlflow-miner",
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.stats = ClientStats()
        self._token = token
        self._sleep = sleep
        self._clock = clock
        self._progress = progress
        self._buckets: dict[str, _Bucket] = {}
        self.base_url = check_api_url(base_url, "the API URL").rstrip("/")
        self._github = Github(
            base_url=self.base_url,
            auth=Auth.Token(token) if token else None,
            timeout=self.policy.timeout,
            user_agent=user_agent,
            retry=0,
            seconds_between_requests=None,
            seconds_between_writes=None,
        )
        self._requester: Requester = self._github.requester

    def close(self) -> None:
        self._github.close()

    def check(self) -> None:
        """Fail fast, before any work, when the API cannot be used: unreachable
        (`ApiUnreachable`) or the token refused (HTTP 401). Other answers are left to the
        requests that follow (an Enterprise server may have no /rate_limit)."""
        try:
            self.get("/rate_limit")
        except GithubApiError as error:
            if error.environment:
                raise

    def redact(self, text: str) -> str:
        return redact(text, self._token)

    def get(
        self, url: str, params: dict[str, Any] | None = None, *, resource: str = CORE
    ) -> tuple[dict[str, str], Any]:
        """`(lower-cased response headers, JSON body)` of `GET url`, waiting and retrying per policy.

        `url` is a path below the base URL or an absolute URL the server returned (a `Link`).
        """
        where = f"GET {urllib.parse.urlsplit(url).path}"
        failures = 0
        rate_waits = 0
        retrying = _RetryBudget(self.policy)
        while True:
            self._respect_bucket(resource)
            self.stats.requests += 1
            retrying.attempt_starts()
            try:
                headers, data = self._requester.requestJsonAndCheck("GET", url, parameters=params)
            except GithubException as exc:
                headers = _lower(exc.headers)
                self._note_rate(headers, resource)
                message = _message(exc.data)
                wait = self._rate_limit_wait(exc.status, headers, message, rate_waits)
                if wait is not None:
                    rate_waits += 1
                    if rate_waits > self.policy.max_rate_limit_waits:
                        raise self._error(
                            f"{where}: still rate limited after {rate_waits - 1} waits "
                            f"(HTTP {exc.status}: {message})",
                            exc.status,
                            gave_up=True,
                        ) from None
                    seconds, reason = wait
                    self._countdown(seconds, f"{where}: {reason}")
                    self._buckets.pop(resource, None)
                    continue
                if exc.status >= 500 and retrying.allows(failures):
                    failures += 1
                    retrying.waited(self._backoff(failures, f"{where}: HTTP {exc.status}"))
                    continue
                gave_up = exc.status >= 500
                tries = f"; {retrying.describe(failures)}" if gave_up else ""
                raise self._error(
                    f"{where} failed: HTTP {exc.status}: {message}{tries}", exc.status, gave_up
                ) from None
            # requests' errors (timeouts, refused or dropped connections) are OSErrors.
            except (OSError, json.JSONDecodeError) as exc:
                kind = type(exc).__name__
                if retrying.allows(failures):
                    failures += 1
                    retrying.waited(self._backoff(failures, f"{where}: {kind}"))
                    continue
                error = ApiUnreachable if isinstance(exc, OSError) else GithubApiError
                raise error(
                    self.redact(
                        f"{where}: no answer from {self.base_url} ({kind}: {_short(exc)}); "
                        + retrying.describe(failures)
                    ),
                    None,
                    True,
                ) from None
            headers = _lower(headers)
            self._note_rate(headers, resource)
            return headers, data

    def _error(self, message: str, status: int | None, gave_up: bool = False) -> GithubApiError:
        return GithubApiError(self.redact(message), status, gave_up)

    def _note_rate(self, headers: dict[str, str], resource: str) -> None:
        remaining = _int(headers.get("x-ratelimit-remaining"))
        if remaining is None:
            return
        bucket = self._buckets.setdefault(
            headers.get("x-ratelimit-resource") or resource, _Bucket()
        )
        bucket.remaining = remaining
        bucket.reset = float(_int(headers.get("x-ratelimit-reset")) or 0)

    def _respect_bucket(self, resource: str) -> None:
        """Wait for the reset before sending a request the server has said it will refuse."""
        bucket = self._buckets.get(resource)
        if bucket is None or bucket.remaining != 0:
            return
        left = bucket.reset - self._clock()
        if left > 0:
            self._countdown(left + 1, f"rate limit for {resource} requests used up")
        self._buckets.pop(resource, None)

    def _rate_limit_wait(
        self, status: int, headers: dict[str, str], message: str, earlier_waits: int
    ) -> tuple[float, str] | None:
        if status not in (403, 429):
            return None
        retry_after = _int(headers.get("retry-after"))
        if retry_after is not None:
            return float(max(retry_after, 1)), f"HTTP {status} with Retry-After {retry_after}s"
        reset = _int(headers.get("x-ratelimit-reset"))
        if headers.get("x-ratelimit-remaining") == "0" and reset is not None:
            # +1: the reset happens at some moment within that second.
            wait = max(reset - self._clock(), 0) + 1
            return wait, f"HTTP {status}, rate limit used up until its reset"
        if status == 429 or Requester.isRateLimitError(message):
            wait = self.policy.secondary_wait * 2**earlier_waits
            return wait, f"HTTP {status}, secondary rate limit"
        return None

    def _countdown(self, seconds: float, reason: str) -> None:
        seconds = float(math.ceil(seconds))
        self.stats.rate_limit_waits += 1
        self._progress(f"{reason}; waiting {_duration(seconds)}")
        left = seconds
        while left > 0:
            step = min(COUNTDOWN_STEP, left)
            self._pause(step)
            left -= step
            # Every step in the last minute, else once a minute: an hour's wait stays readable.
            if left > 0 and (left <= 60 or left // 60 != (left + step) // 60):
                self._progress(f"  resuming in {_duration(left)}")

    def _backoff(self, failure: int, reason: str) -> float:
        seconds = float(self.policy.backoff * 2 ** (failure - 1))
        self.stats.retries += 1
        self._progress(
            f"{reason}; retry {failure}/{self.policy.max_retries} in {_duration(seconds)}"
        )
        self._pause(seconds)
        return seconds

    def _pause(self, seconds: float) -> None:
        self.stats.waited_seconds += seconds
        self._sleep(seconds)


class _RetryBudget:
    """One request's retries: at most `max_retries`, and not once the failed attempts (wall
    time) and the back-off waits (as slept) reach `max_retry_seconds`."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.spent = 0.0
        self._attempt_started = time.monotonic()

    def attempt_starts(self) -> None:
        self._attempt_started = time.monotonic()

    def allows(self, failures: int) -> bool:
        self.spent += time.monotonic() - self._attempt_started
        next_wait = self.policy.backoff * 2**failures
        return (
            failures < self.policy.max_retries
            and self.spent + next_wait <= self.policy.max_retry_seconds
        )

    def waited(self, seconds: float) -> None:
        self.spent += seconds

    def describe(self, failures: int) -> str:
        budget = (
            f" (--max-retry-seconds {self.policy.max_retry_seconds:g})"
            if failures < self.policy.max_retries
            else ""
        )
        return f"gave up after {failures + 1} attempts in {self.spent:.0f}s{budget}"


def _short(error: BaseException) -> str:
    """requests' messages nest the cause in the pool's: keep the innermost reason."""
    text = " ".join(str(error).split())
    match = re.search(r"(\[Errno [^\]]*\][^'\")]*|Read timed out|timed out)", text)
    return match.group(1).strip() if match else text[:200]


def _lower(headers: dict[str, Any] | None) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers or {}).items()}


def _int(value: str | None) -> int | None:
    if value is None or not re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        return None
    return int(float(value))


def _message(data: Any) -> str:
    if isinstance(data, dict):
        return str(data.get("message") or data.get("data") or "")[:200]
    return str(data or "")[:200]


def _duration(seconds: float) -> str:
    seconds = math.ceil(seconds)
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
