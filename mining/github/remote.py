"""One GitHub repository, ad hoc: pin its default branch's head and check it out for a scan."""

from __future__ import annotations

import re
import sys
import time
import urllib.parse
from collections.abc import Callable

from analyzers.records import RepoRef
from mining.git.clone import CloneSettings, clone_all
from mining.github.client import GithubApiError, GithubClient
from mining.github.search import CrawlSettings

FULL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


class RemoteError(Exception):
    """The repository could not be pinned or cloned; the message says why (never a token)."""


def looks_like_full_name(text: str) -> bool:
    return bool(FULL_NAME.match(text)) and not text.startswith(("./", "../"))


def checkout_github(
    full_name: str,
    clone: CloneSettings | None = None,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> RepoRef:
    """Pin `owner/name` to its default branch's head (GITHUB_API_URL, GITHUB_TOKEN) and bring
    that commit into the clone cache; return where it is."""
    settings = CrawlSettings(topics=())
    client = GithubClient(
        base_url=settings.base_url,
        token=settings.token,
        sleep=time.sleep,
        clock=time.time,
        progress=log,
    )
    try:
        _, repo = client.get(f"/repos/{full_name}")
        branch = repo.get("default_branch") or "main"
        _, head = client.get(f"/repos/{full_name}/branches/{urllib.parse.quote(branch)}")
    except GithubApiError as error:
        if error.environment:  # the API or the token, not this repository: exit 3 upstream
            raise
        raise RemoteError(f"{full_name}: {client.redact(str(error))}") from None
    finally:
        client.close()
    commit = (head.get("commit") or {}).get("sha", "")
    if not re.fullmatch(r"[0-9a-f]{40}", commit or ""):
        raise RemoteError(f"{full_name}: the {branch} branch has no commit to pin")
    log(f"{full_name}: pinned {branch} at {commit[:12]}")
    row = {
        "full_name": full_name,
        "clone_url": repo.get("clone_url", ""),
        "commit": commit,
        "size_kb": str(repo.get("size", "")),
        "default_branch": branch,
    }
    (result,) = clone_all([row], clone or CloneSettings(jobs=1))
    if not result.ok:
        raise RemoteError(f"{full_name}: {result.status.value}: {result.detail}")
    log(f"{full_name}: {result.status.value} into {result.path}")
    return RepoRef(root=result.path, name=full_name, commit=commit)
