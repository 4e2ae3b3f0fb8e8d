"""Make model text safe to post on a pull request.

The model read attacker-controlled code, so its text is treated as untrusted too: it may not notify
anyone (@-mentions, team mentions, issue cross-references), embed HTML or images, link anywhere but
documentation hosts, break out of the comment's markdown structure, or run long.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from reviewbot.checks import all_rules

MAX_EXPLANATION_CHARS = 1200
MAX_SUGGESTION_LINES = 60
MAX_SUGGESTION_CHARS = 4000
ZERO_WIDTH_JOINER = "\u200d"

DEFAULT_LINK_HOSTS = frozenset({
    "docs.python.org",
    "peps.python.org",
    "docs.djangoproject.com",
    "www.django-rest-framework.org",
    "docs.sqlalchemy.org",
    "flask.palletsprojects.com",
    "flask-sqlalchemy.readthedocs.io",
    "fastapi.tiangolo.com",
    "www.starlette.io",
    "docs.aiohttp.org",
    "requests.readthedocs.io",
    "www.python-httpx.org",
    "docs.celeryq.dev",
    "redis.readthedocs.io",
    "redis.io",
    "www.psycopg.org",
    "magicstack.github.io",
    "pymongo.readthedocs.io",
    "motor.readthedocs.io",
    "docs.peewee-orm.com",
    "tortoise.github.io",
    "developer.mozilla.org",
    "www.postgresql.org",
    "whitenoise.readthedocs.io",
    "cachetools.readthedocs.io",
})

# Characters that hide or reorder text (bidi controls, zero-width marks) and C0/C1 controls.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\x00-\x08\x0b-\x1f\x7f-\x9f]")
_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<[!?][^<>]*>")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\s*(?:\([^)]*\)|\[[^\]]*\])")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:.*$", re.M)
_INLINE_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'(][^)]*)?\s*\)")
_REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_BARE_URL = re.compile(r"(?:(?:https?|ftp)://|www\.)[^\s<>()\[\]`'\"]+", re.I)
_MENTION = re.compile(r"@(?=[A-Za-z0-9_])")
_ISSUE_REFERENCE = re.compile(r"(#|\bGH-)(?=\d)", re.I)
_FENCE = re.compile(r"```+|~~~+")
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.M)
_FENCE_LINE = re.compile(r"^ {0,3}(?:```|~~~)", re.M)
_PLACEHOLDER = "\x00{}\x00"


def reference_hosts() -> frozenset[str]:
    """Hosts the rules' own References sections link to."""
    hosts = set()
    for rule in all_rules():
        for url in _BARE_URL.findall(rule.doc_sections().get("References", "")):
            host = urlsplit(url if "://" in url else "https://" + url).hostname
            if host:
                hosts.add(host.lower())
    return frozenset(hosts)


def allowed_link_hosts(extra: Iterable[str] = ()) -> frozenset[str]:
    return DEFAULT_LINK_HOSTS | reference_hosts() | {host.lower() for host in extra}


def link_allowed(url: str, hosts: frozenset[str]) -> bool:
    """https only, to an allowed host or a subdomain of one, without credentials."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or parts.username or parts.password or parts.port not in (None, 443):
        return False
    return any(host == allowed or host.endswith("." + allowed) for allowed in hosts)


def sanitize_explanation(text: str, hosts: frozenset[str], max_chars: int = MAX_EXPLANATION_CHARS) -> str:
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    text = _HTML_COMMENT.sub("", text)
    text = _HTML_TAG.sub("", text)
    text = _ENTITY.sub("&amp;", text)
    text = _TAG_START.sub("&lt;", text)
    text = _FENCE.sub("", text)
    text = _HEADING.sub("", text)
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = text.replace("![", "[")
    text = _LINK_DEFINITION.sub("", text)

    kept: list[str] = []

    def keep(markdown: str) -> str:
        kept.append(markdown)
        return _PLACEHOLDER.format(len(kept) - 1)

    def inline_link(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        if link_allowed(url, hosts):
            return keep(f"[{_neutralise(label)}]({url})")
        return label

    def bare_url(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(".,;:!?")
        tail = match.group(0)[len(url):]
        return (keep(url) if link_allowed(url, hosts) else "(link removed)") + tail

    text = _INLINE_LINK.sub(inline_link, text)
    text = _REFERENCE_LINK.sub(lambda m: m.group(1), text)
    text = _BARE_URL.sub(bare_url, text)
    text = _neutralise(text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)

    lines = [line.rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars - 1)
        text = text[: cut if cut > max_chars // 2 else max_chars - 1].rstrip() + "…"
    return _balance_backticks(text)


def _neutralise(text: str) -> str:
    """A zero-width joiner after `@` and `#` keeps the text readable but stops GitHub from
    notifying users and teams or cross-referencing issues."""
    text = _MENTION.sub("@" + ZERO_WIDTH_JOINER, text)
    return _ISSUE_REFERENCE.sub(lambda m: m.group(1) + ZERO_WIDTH_JOINER, text)


def _balance_backticks(text: str) -> str:
    # An unclosed code span would swallow the rest of the comment the text is put into.
    if text.count("`") % 2:
        index = text.rfind("`")
        text = text[:index] + text[index + 1 :]
    return text


def suggestion_problem(code: str) -> str | None:
    """Why a replacement cannot go into a ```suggestion block, or None when it can."""
    if _FENCE_LINE.search(code):
        return "it contains a code fence"
    if _INVISIBLE.search(code.replace("\t", " ").replace("\n", " ")):
        return "it contains invisible or control characters"
    if code.count("\n") + 1 > MAX_SUGGESTION_LINES:
        return f"it is longer than {MAX_SUGGESTION_LINES} lines"
    if len(code) > MAX_SUGGESTION_CHARS:
        return f"it is longer than {MAX_SUGGESTION_CHARS} characters"
    return None
