"""GitHub REST reads with one deterministic policy for rate limits, back-off and retries.

PyGithub does the HTTP. Its own urllib3 retrying (GithubRetry) is switched off, because it sleeps
with `time.sleep` on its own schedule; here every wait goes through an injected `sleep`, so a
test can prove how long the crawler waited without waiting.
"""

from __future__ import annotations

import json
import math
import re
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


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before a request counts as failed."""

    max_retries: int = 5  # for 5xx answers, timeouts, dropped connections, truncated bodies
    backoff: float = 1.0  # first wait after such a failure; doubles each retry
    secondary_wait: float = 60.0  # GitHub asks for at least a minute when it gives no Retry-After
    max_rate_limit_waits: int = 10  # per request; guards against a server that never resets
    timeout: int = 30  # seconds per HTTP request


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
        self._github = Github(
            base_url=base_url.rstrip("/"),
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
        while True:
            self._respect_bucket(resource)
            self.stats.requests += 1
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
                if exc.status >= 500 and failures < self.policy.max_retries:
                    failures += 1
                    self._backoff(failures, f"{where}: HTTP {exc.status}")
                    continue
                gave_up = exc.status >= 500
                tries = f" after {failures + 1} attempts" if gave_up else ""
                raise self._error(
                    f"{where} failed{tries}: HTTP {exc.status}: {message}", exc.status, gave_up
                ) from None
            # requests' errors (timeouts, refused or dropped connections) are OSErrors.
            except (OSError, json.JSONDecodeError) as exc:
                kind = type(exc).__name__
                if failures < self.policy.max_retries:
                    failures += 1
                    self._backoff(failures, f"{where}: {kind}")
                    continue
                raise self._error(
                    f"{where} failed after {failures + 1} attempts: {kind}: {exc}", None, True
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

    def _backoff(self, failure: int, reason: str) -> None:
        seconds = self.policy.backoff * 2 ** (failure - 1)
        self.stats.retries += 1
        self._progress(
            f"{reason}; retry {failure}/{self.policy.max_retries} in {_duration(seconds)}"
        )
        self._pause(seconds)

    def _pause(self, seconds: float) -> None:
        self.stats.waited_seconds += seconds
        self._sleep(seconds)


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
