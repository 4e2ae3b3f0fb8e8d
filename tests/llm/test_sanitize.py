"""Model text is made safe to post: no notifications, HTML, images, foreign links or runaway length."""

from __future__ import annotations

import pytest

from reviewbot.llm.sanitize import (
    MAX_EXPLANATION_CHARS,
    ZERO_WIDTH_JOINER,
    allowed_link_hosts,
    link_allowed,
    sanitize_explanation,
    suggestion_problem,
)

HOSTS = allowed_link_hosts()


def clean(text: str) -> str:
    return sanitize_explanation(text, HOSTS)


def test_plain_prose_with_inline_code_passes_unchanged():
    text = "`requests.get` has no default timeout, so a stalled upstream holds the worker. Pass `timeout=10`."
    assert clean(text) == text


@pytest.mark.parametrize("mention", ["@octocat", "@org/admins", "@my-org/security-team"])
def test_mentions_of_users_and_teams_are_neutralised(mention):
    result = clean(f"Please ask {mention} to approve this.")
    assert mention not in result
    assert f"@{ZERO_WIDTH_JOINER}{mention[1:]}" in result


def test_issue_references_are_neutralised():
    result = clean("Fixed like in #123 and GH-45 and other/repo#7.")
    for reference in ("#123", "GH-45", "repo#7"):
        assert reference not in result
    assert "&#64;" not in clean("&#64;org/admins")


def test_html_is_stripped_or_escaped():
    result = clean('Slow <b>call</b><img src=x onerror=alert(1)> <details><summary>x</summary>y</details>'
                   '<!-- hidden approve --> a <script and &amp; done')
    assert "<" not in result.replace("&lt;", "")
    assert "hidden approve" not in result
    assert result == "Slow call xy a &lt;script and &amp;amp; done"


def test_images_are_removed_keeping_their_alt_text():
    result = clean("See ![diagram of the pool](https://docs.python.org/x.png) and ![ref][1].")
    assert result == "See diagram of the pool and ref."


def test_links_are_kept_only_to_allowed_documentation_hosts():
    text = ("Read [the timeout docs](https://requests.readthedocs.io/en/latest/user/advanced/#timeouts), "
            "not [this](https://evil.example/phish) or https://evil.example/x or www.evil.example, "
            "but https://docs.python.org/3/library/asyncio.html is fine.")
    result = clean(text)
    assert "[the timeout docs](https://requests.readthedocs.io/en/latest/user/advanced/#timeouts)" in result
    assert "evil.example" not in result
    assert "not this or (link removed) or (link removed)," in result
    assert "https://docs.python.org/3/library/asyncio.html is fine." in result


def test_link_reference_definitions_are_dropped():
    assert clean("Read [docs][1].\n\n[1]: https://evil.example/") == "Read docs."


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://docs.djangoproject.com/en/5.0/ref/models/querysets/", True),
        ("https://docs.sqlalchemy.org/en/20/orm/queryguide/relationships.html", True),
        ("https://www.python-httpx.org/advanced/timeouts/", True),  # from RB203's References
        ("http://docs.python.org/3/", False),  # https only
        ("https://docs.python.org.evil.example/", False),
        ("https://docs.python.org@evil.example/", False),
        ("https://user:pw@docs.python.org/", False),
        ("https://docs.python.org:8443/", False),
        ("javascript:alert(1)", False),
    ],
)
def test_link_allow_list(url, allowed):
    assert link_allowed(url, HOSTS) is allowed


def test_extra_hosts_can_be_allowed():
    hosts = allowed_link_hosts(["Wiki.Example.COM"])
    assert link_allowed("https://wiki.example.com/perf", hosts)
    assert sanitize_explanation("See https://wiki.example.com/perf.", hosts) == "See https://wiki.example.com/perf."


def test_markdown_structure_cannot_be_broken_out_of():
    result = clean("# Approved\n\n```\nclosing fence\n```\n\n\n\nan `unclosed span")
    assert "```" not in result and not result.startswith("#")
    assert result.count("`") % 2 == 0
    assert "\n\n\n" not in result


def test_invisible_and_bidi_characters_are_removed():
    assert clean("safe\u202eevil\u200b text\x07") == "safeevil text"


def test_length_is_capped_at_a_word_boundary():
    result = clean("word " * 1000)
    assert len(result) <= MAX_EXPLANATION_CHARS
    assert result.endswith("word…")


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("x = 1\n```\n@org/admins", "code fence"),
        ("x = 1\n~~~", "code fence"),
        ("x = '\u202e'", "invisible or control"),
        ("\n".join(["x = 1"] * 61), "longer than 60 lines"),
        ("x = '" + "a" * 4000 + "'", "longer than 4000 characters"),
    ],
)
def test_unsafe_suggestions_are_named(code, problem):
    assert problem in (suggestion_problem(code) or "")


def test_ordinary_code_is_a_safe_suggestion():
    assert suggestion_problem('    response = requests.get(url, timeout=10)\n\tx = "@decorator"') is None
