"""requests: synchronise repositories and issues from a Git hosting API into the CRM."""

from __future__ import annotations

import functools
import logging

import requests

logger = logging.getLogger(__name__)
API = "https://git.example.com/api/v3"


def api_session(token: str) -> requests.Session:
    session = requests.Session()
    session.headers.update({"Authorization": f"token {token}", "Accept": "application/json"})
    session.request = functools.partial(session.request, timeout=15)
    return session


class RepositorySync:
    def __init__(self, token: str) -> None:
        self.session = api_session(token)

    def repositories(self, org: str) -> list[dict]:
        repos: list[dict] = []
        url: str | None = f"{API}/orgs/{org}/repos?per_page=100"
        while url:
            response = self.session.get(url)
            response.raise_for_status()
            repos.extend(response.json())
            url = response.links.get("next", {}).get("url")
        return repos

    def open_issue_count(self, full_name: str) -> int:
        response = self.session.get(f"{API}/repos/{full_name}", params={"fields": "open_issues_count"})
        response.raise_for_status()
        return response.json()["open_issues_count"]


class AvatarFetcher:
    def __init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "crm-sync/1.0"

    def avatar(self, url: str) -> bytes:
        response = self.session.get(url)  # expect: RB203
        response.raise_for_status()
        return response.content

    def avatar_or_none(self, url: str) -> bytes | None:
        try:
            response = self.session.get(url, timeout=5)
        except requests.RequestException:
            logger.info("avatar %s unavailable", url)
            return None
        return response.content if response.ok else None
