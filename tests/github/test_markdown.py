from __future__ import annotations

from reviewbot.checks.registry import rule_by_code
from reviewbot.findings import FileError, Severity
from reviewbot.render.markdown import (
    MAX_BODY_CHARS,
    MAX_WHY_CHARS,
    ReviewStats,
    check_run_summary,
    comment_body,
    config_error_summary,
    inline_comment_body,
    parse_marker,
    render_review_markdown,
    review_summary,
    rule_why,
    sanitize_markdown,
    sanitize_text,
    summary_marker,
    with_rejected_comments,
)
from reviewbot.render.review_plan import InlineComment, SummaryItem, SummaryReason
from tests.github.builders import make_finding

HEAD = "0123456789abcdef0123456789abcdef01234567"


def test_comment_body_exact_text() -> None:
    finding = make_finding(rule="RB999", name="example-rule", fingerprint="00aa11bb22cc33dd",
                           message="`cache.set(key, value)` stores <value> for @alice forever",
                           suggestion="cache.set(key, value, timeout=300)")

    assert comment_body(finding) == (
        "**RB999 example-rule** · warning · caching\n"
        "\n"
        "`cache.set(key, value)` stores &lt;value&gt; for `@alice` forever\n"
        "\n"
        "```suggestion\n"
        "cache.set(key, value, timeout=300)\n"
        "```\n"
        "\n"
        "<!-- reviewbot:v1 fp=00aa11bb22cc33dd rule=RB999 -->"
    )


def test_a_suggestion_the_anchor_does_not_cover_is_shown_as_plain_code() -> None:
    finding = make_finding(rule="RB999", name="example-rule", line=5, end_line=9, fingerprint="00aa11bb22cc33dd",
                           message="`x`", suggestion="y = 1")

    clipped = InlineComment(finding, line=7, start_line=5)

    assert inline_comment_body(clipped) == (
        "**RB999 example-rule** · warning · caching\n\n`x`\n\nSuggested change:\n\n```python\ny = 1\n```\n\n"
        "<!-- reviewbot:v1 fp=00aa11bb22cc33dd rule=RB999 -->")
    assert "```suggestion" in inline_comment_body(InlineComment(finding, line=9, start_line=5))


def test_a_suggestion_holding_a_fence_gets_a_longer_fence() -> None:
    body = comment_body(make_finding(suggestion='doc = """\n```\n"""'))

    assert '````suggestion\ndoc = """\n```\n"""\n````' in body


def test_the_why_is_the_first_paragraph_of_the_rule_doc_in_whole_sentences() -> None:
    rule = rule_by_code("RB203")
    assert rule is not None
    paragraph = " ".join(rule.doc_sections()["Why is this bad?"].split("\n\n")[0].split())

    why = rule_why("RB203")

    assert why and paragraph.startswith(why) and why.endswith(".")
    assert len(why) <= MAX_WHY_CHARS
    assert f"**Why:** {why}" in comment_body(make_finding(rule="RB203"))
    assert rule_why("RB999") == ""


def test_the_explanation_keeps_its_markdown_but_not_html_or_mentions() -> None:
    finding = make_finding(explanation="Use **bulk** loading, see <img src=x onerror=alert(1)> @org/team.\n"
                                       "```python\nrows = list(qs)  # <b>@kept</b>\n")

    body = comment_body(finding)

    assert "Use **bulk** loading, see &lt;img src=x onerror=alert(1)> `@org/team`." in body
    assert "```python\nrows = list(qs)  # <b>@kept</b>\n```" in body  # the unclosed fence is closed
    assert body.endswith("-->")


def test_sanitize_text_escapes_prose_and_keeps_code_spans() -> None:
    assert sanitize_text("`a<b>` [link](http://x) *x* _y_ @bob, mail a@b.io") == (
        "`a<b>` \\[link\\](http://x) \\*x\\* \\_y\\_ `@bob`, mail a@b.io")
    assert sanitize_text("# not a heading\n- not a list") == "\\# not a heading - not a list"
    assert sanitize_text("1. first") == "1\\. first"
    assert sanitize_text("an odd ` backtick") == "an odd \\` backtick"


def test_sanitize_markdown_escapes_entities_that_would_render() -> None:
    assert sanitize_markdown("a &amp; b & c") == "a &amp;amp; b & c"


def test_a_marker_quoted_by_code_cannot_pass_for_ours() -> None:
    forged = "<!-- reviewbot:v1 fp=ffffffffffffffff rule=RB101 -->"
    finding = make_finding(message=f"`{forged}`", explanation=f"```\n{forged}\n```", fingerprint="0123456789abcdef")

    marker = parse_marker(comment_body(finding))

    assert marker is not None and marker.fingerprint == "0123456789abcdef"
    assert parse_marker(f"some text\n{forged}\n```") is None


def test_markers_round_trip() -> None:
    comment = parse_marker(comment_body(make_finding(fingerprint="abcdef0123456789", rule="RB101")))
    summary = parse_marker("body\n\n" + summary_marker(HEAD, ["aa", "bb", "not-hex"], run_id="run-7"))

    assert (comment.kind, comment.fingerprint, comment.rule) == ("comment", "abcdef0123456789", "RB101")
    assert (summary.kind, summary.head_sha, summary.run_id, summary.fingerprints) == (
        "summary", HEAD, "run-7", ("aa", "bb"))
    assert parse_marker("no marker") is None and parse_marker(None) is None


def test_review_summary_exact_text() -> None:
    inline = make_finding(path="app/views.py", line=12, rule="RB999", name="example-rule",
                          fingerprint="1111111111111111", message="`requests.get` has no timeout")
    outside = make_finding(path="app/models.py", line=40, end_line=42, rule="RB998", name="other-rule",
                           severity=Severity.ERROR, fingerprint="2222222222222222",
                           message="query in a loop over `orders`")
    over = make_finding(path="app/tasks.py", line=7, rule="RB997", name="third-rule", severity=Severity.INFO,
                        fingerprint="3333333333333333", message="`open(path).read()` loads the whole file")
    stats = ReviewStats(head_sha=HEAD, files_reviewed=3, already_posted=2, max_inline=1,
                        notes=("Explanations are unavailable for this review.",))

    body = review_summary([inline], [SummaryItem(outside, SummaryReason.OUTSIDE_DIFF),
                                     SummaryItem(over, SummaryReason.OVER_LIMIT)],
                          [FileError("app/broken.py", "syntax", "invalid syntax at line 3")], stats)

    assert body == """\
## reviewbot performance review

Reviewed 3 changed Python files at 0123456. **3 new findings**: 1 error, 1 warning, 1 info. \
1 inline comment and 2 listed below. 2 findings already reported by earlier reviews are not repeated.

Explanations are unavailable for this review.

| Principle | error | warning | info | total |
|---|---:|---:|---:|---:|
| caching | 1 | 1 | 1 | 3 |
| async-processing | 0 | 0 | 0 | 0 |
| query-optimization | 0 | 0 | 0 | 0 |
| cdn-static-assets | 0 | 0 | 0 | 0 |
| pagination-lazy-loading | 0 | 0 | 0 | 0 |
| **total** | 1 | 1 | 1 | 3 |

### Findings not commented inline

**Outside the diff (GitHub accepts inline comments only on lines of the diff):**

- `app/models.py:40-42` **RB998** other-rule (error): query in a loop over `orders`

**Over the limit of 1 inline comment:**

- `app/tasks.py:7` **RB997** third-rule (info): `open(path).read()` loads the whole file

### Files not fully analysed

- `app/broken.py` (syntax): invalid syntax at line 3

<!-- reviewbot:v1 summary head=0123456789abcdef0123456789abcdef01234567 \
fps=1111111111111111,2222222222222222,3333333333333333 -->"""


def test_review_summary_without_findings() -> None:
    body = review_summary([], [], [], ReviewStats(head_sha=HEAD, files_reviewed=1))

    assert body == ("## reviewbot performance review\n\n"
                    "Reviewed 1 changed Python file at 0123456. No new performance findings in the changed lines.\n\n"
                    f"<!-- reviewbot:v1 summary head={HEAD} fps= -->")


def test_a_huge_summary_is_cut_to_fit_and_says_how_many_are_not_listed() -> None:
    findings = [make_finding(path=f"app/module_{n:04}.py", line=n, message="x" * 300) for n in range(1, 400)]
    items = [SummaryItem(f, SummaryReason.OUTSIDE_DIFF) for f in findings]

    body = review_summary([], items, [], ReviewStats(head_sha=HEAD))

    assert len(body) <= MAX_BODY_CHARS
    listed = body.count("\n- `app/module_")
    assert 100 < listed < 399
    assert f"{399 - listed} more findings are not listed here for length" in body
    marker = parse_marker(body)
    assert marker is not None and len(marker.fingerprints) == listed  # only what a reader can see


def test_refused_comments_are_listed_above_the_marker() -> None:
    kept = make_finding(line=1, fingerprint="aaaaaaaaaaaaaaaa")
    refused = InlineComment(make_finding(line=9, fingerprint="bbbbbbbbbbbbbbbb", message="`x` is slow"), line=9)
    body = review_summary([kept, refused.finding], [], [], ReviewStats(head_sha=HEAD))

    updated = with_rejected_comments(body, [refused])

    assert updated.endswith(
        "**Not accepted by GitHub as inline comments:**\n\n"
        "- `app/views.py:9` **RB203** http-call-without-timeout (warning): `x` is slow\n\n"
        f"<!-- reviewbot:v1 summary head={HEAD} fps=aaaaaaaaaaaaaaaa,bbbbbbbbbbbbbbbb -->")


def test_render_review_markdown_shows_the_summary_then_each_comment_at_its_anchor() -> None:
    finding = make_finding(path="app/views.py", line=12, end_line=13, rule="RB999", name="example-rule",
                           fingerprint="1111111111111111", message="`requests.get` has no timeout")

    text = render_review_markdown([finding], [])

    assert text.endswith(
        "<!-- reviewbot:v1 summary fps=1111111111111111 -->\n\n"
        "## Inline comments\n\n"
        "### `app/views.py:12-13`\n\n"
        "**RB999 example-rule** · warning · caching\n\n"
        "`requests.get` has no timeout\n\n"
        "<!-- reviewbot:v1 fp=1111111111111111 rule=RB999 -->\n")
    assert text.startswith("## reviewbot performance review\n\n**1 new finding**: 0 errors, 1 warning, 0 info. "
                           "1 inline comment.\n")


def test_render_review_markdown_drops_nothing() -> None:
    findings = [make_finding(line=n) for n in range(1, 61)]

    text = render_review_markdown(findings, [FileError("a.py", "skipped", "binary file")], max_inline=50)

    assert text.count("\n### `app/views.py:") == 50
    assert "**Over the limit of 50 inline comments:**" in text
    assert text.count("\n- `app/views.py:") == 10
    assert "- `a.py` (skipped): binary file" in text


def test_check_run_and_config_error_texts() -> None:
    findings = [make_finding(severity=Severity.ERROR, rule="RB201"), make_finding(line=9)]

    assert check_run_summary(findings, [], HEAD).startswith("2 findings at 0123456; each is annotated below.\n\n"
                                                            "| Principle | error | warning | info | total |")
    assert check_run_summary([], [], HEAD) == "No performance findings in the changed lines at 0123456."
    assert config_error_summary("pyproject.toml: [tool.reviewbot] unknown key '<x>'") == (
        "The repository's reviewbot configuration could not be read, so no review ran:\n\n"
        "> pyproject.toml: \\[tool.reviewbot\\] unknown key '&lt;x&gt;'\n\n"
        "Fix `.reviewbot.toml` (or `[tool.reviewbot]` in `pyproject.toml`) and push again.")
