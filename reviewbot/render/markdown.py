"""Markdown for GitHub: inline review comments, the review summary, and the hidden markers that
let a later review recognise what was already posted.

Finding messages quote the analysed code, which the pull request's author controls. Text that
echoes code is sanitised before it reaches GitHub: HTML is escaped (no raw tags, no forged
markers), @mentions are put in code spans (no notifications), and Markdown syntax outside code
spans is escaped. Code spans and fenced blocks stay verbatim, since GitHub renders them literally.

Markers sit on the last line of a body, where quoted code can never be: `parse_marker` reads
only that line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from reviewbot.diff import FileDiff
from reviewbot.findings import FileError, Finding, Principle, Severity
from reviewbot.render.review_plan import (
    DEFAULT_MAX_INLINE,
    InlineComment,
    SummaryItem,
    SummaryReason,
    plan_review,
    review_key,
)

TITLE = "reviewbot performance review"
MARKER_PREFIX = "<!-- reviewbot:v1 "
MAX_BODY_CHARS = 65_000  # GitHub refuses review and comment bodies over 65,536 characters
MAX_WHY_CHARS = 320
SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)

_MARKER_LINE = re.compile(r"^<!-- reviewbot:v1 ([^<>]*) -->$")
_FINGERPRINT = re.compile(r"^[0-9a-f]{1,64}$")
_SHA = re.compile(r"^[0-9a-f]{4,64}$")
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{1,80}$")
_CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_MENTION = re.compile(r"(?<![A-Za-z0-9_`])@[A-Za-z0-9][A-Za-z0-9_.\-/]*")
_PROSE_SPECIAL = re.compile(r"([\\`*_\[\]~])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")

_REASON_HEADINGS = {
    SummaryReason.OUTSIDE_DIFF: "Outside the diff (GitHub accepts inline comments only on lines of the diff)",
    SummaryReason.OVER_LIMIT: "Over the limit of {limit}",
    SummaryReason.REJECTED: "Not accepted by GitHub as inline comments",
}


# ---------------------------------------------------------------- markers


@dataclass(frozen=True, slots=True)
class Marker:
    """What a hidden marker says. `kind` is "comment" (an inline finding), "summary" (a review
    body; `fingerprints` lists the findings it reported) or "reply"."""

    kind: str
    fingerprint: str = ""
    rule: str = ""
    head_sha: str = ""
    run_id: str = ""
    fingerprints: tuple[str, ...] = ()


def comment_marker(finding: Finding) -> str:
    return f"{MARKER_PREFIX}fp={_clean(finding.fingerprint, _FINGERPRINT)} rule={_clean(finding.rule, _TOKEN)} -->"


def summary_marker(head_sha: str, fingerprints: Sequence[str], run_id: str = "") -> str:
    parts = ["summary"]
    if head_sha:
        parts.append(f"head={_clean(head_sha, _SHA)}")
    if run_id:
        parts.append(f"run={_clean(run_id, _TOKEN)}")
    parts.append("fps=" + ",".join(fp for fp in fingerprints if _FINGERPRINT.match(fp)))
    return MARKER_PREFIX + " ".join(parts) + " -->"


def reply_marker(fingerprint: str) -> str:
    return f"{MARKER_PREFIX}reply fp={_clean(fingerprint, _FINGERPRINT)} -->"


def parse_marker(body: str | None) -> Marker | None:
    """The marker on the last non-blank line of `body`, or None (not ours)."""
    if not body:
        return None
    last = body.rstrip().rsplit("\n", 1)[-1].strip()
    match = _MARKER_LINE.match(last)
    if match is None:
        return None
    words = match.group(1).split()
    kind = "comment"
    if words and "=" not in words[0]:
        kind = words.pop(0)
    values = dict(word.split("=", 1) for word in words if "=" in word)
    fingerprints = tuple(fp for fp in values.get("fps", "").split(",") if _FINGERPRINT.match(fp))
    fingerprint = values.get("fp", "")
    if kind in ("comment", "reply") and not _FINGERPRINT.match(fingerprint):
        return None
    return Marker(kind=kind, fingerprint=fingerprint, rule=values.get("rule", ""),
                  head_sha=values.get("head", ""), run_id=values.get("run", ""), fingerprints=fingerprints)


def _clean(value: str, pattern: re.Pattern[str]) -> str:
    if pattern.match(value):
        return value
    return re.sub(r"[^A-Za-z0-9._-]", "", value)[:80]


# ---------------------------------------------------------------- sanitising


def sanitize_text(text: str) -> str:
    """One line of prose that may quote code: white space folded, code spans kept verbatim,
    everything else escaped so it renders as the same plain text."""
    result = _outside_code_spans(" ".join(text.split()), _escape_prose)
    return _LINE_START_SPECIAL.sub(_escape_block_start, result, count=1)


def _escape_block_start(match: re.Match[str]) -> str:
    """Escape what would make the line a heading, quote or list: `\\#`, `1\\.`."""
    indent, marker = match.group(1), match.group(2)
    if marker[0].isdigit():
        return f"{indent}{marker[:-1]}\\{marker[-1]}"
    return f"{indent}\\{marker}"


def sanitize_markdown(text: str) -> str:
    """A block of Markdown (an explanation) whose formatting is kept: raw HTML is escaped and
    mentions neutralised outside code, and an unclosed code fence is closed."""
    lines: list[str] = []
    fence = ""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").rstrip().split("\n"):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            lines.append(line)
            continue
        if opening:
            fence = opening.group(1)
            lines.append(line)
            continue
        lines.append(_escape_markdown_line(line))
    if fence:
        lines.append(fence)
    return "\n".join(lines).strip()


def code(text: str) -> str:
    """`text` as an inline code span, whatever backticks it holds."""
    text = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return f"{ticks}{text}{ticks}"


def _escape_prose(text: str) -> str:
    pieces: list[str] = []
    position = 0
    for mention in _MENTION.finditer(text):
        name = _mention_name(mention)
        pieces.append(_escape_plain(text[position:mention.start()]))
        pieces.append(f"`{name}`")
        position = mention.start() + len(name)
    pieces.append(_escape_plain(text[position:]))
    return "".join(pieces)


def _mention_name(mention: re.Match[str]) -> str:
    """The mentioned name without the punctuation that ends a sentence after it."""
    return mention.group(0).rstrip(".-/")


def _wrap_mention(mention: re.Match[str]) -> str:
    name = _mention_name(mention)
    return f"`{name}`" + mention.group(0)[len(name):]


def _escape_plain(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PROSE_SPECIAL.sub(r"\\\1", text)


def _escape_markdown_line(line: str) -> str:
    return _outside_code_spans(line, _escape_html_and_mentions)


def _outside_code_spans(text: str, escape: Callable[[str], str]) -> str:
    """`text` with `escape` applied to everything but its code spans, which stay verbatim."""
    pieces: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        pieces.append(escape(text[position:span.start()]))
        pieces.append(span.group(0))
        position = span.end()
    pieces.append(escape(text[position:]))
    return "".join(pieces)


def _escape_html_and_mentions(text: str) -> str:
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text).replace("<", "&lt;")
    return _MENTION.sub(_wrap_mention, text)


# ---------------------------------------------------------------- inline comments


def comment_body(finding: Finding, *, as_suggestion: bool = True) -> str:
    """The body of the inline comment for `finding`. `as_suggestion` renders the finding's
    suggestion as a ```suggestion block (only right when the comment spans exactly its lines);
    otherwise the suggestion is shown as plain code."""
    parts = [f"**{finding.rule} {finding.name}** · {finding.severity} · {finding.principle}",
             sanitize_text(finding.message)]
    why = rule_why(finding.rule)
    if why:
        parts.append(f"**Why:** {why}")
    if finding.explanation:
        parts.append(sanitize_markdown(finding.explanation))
    if finding.suggestion:
        parts.append(_suggestion_block(finding.suggestion, as_suggestion))
    parts.append(comment_marker(finding))
    return _clip("\n\n".join(part for part in parts if part), comment_marker(finding))


def inline_comment_body(comment: InlineComment) -> str:
    return comment_body(comment.finding, as_suggestion=comment.covers_finding)


def rule_why(code_or_name: str) -> str:
    """The first paragraph of the rule's "Why is this bad?" section, cut to whole sentences."""
    from reviewbot.checks.registry import rule_by_code

    rule = rule_by_code(code_or_name)
    if rule is None:
        return ""
    section = rule.doc_sections().get("Why is this bad?", "")
    paragraph = " ".join(section.split("\n\n", 1)[0].split())
    if len(paragraph) <= MAX_WHY_CHARS:
        return paragraph
    sentences = re.split(r"(?<=[.!?])\s+", paragraph)
    short = sentences[0]
    for sentence in sentences[1:]:
        if len(short) + 1 + len(sentence) > MAX_WHY_CHARS:
            break
        short += " " + sentence
    if len(short) > MAX_WHY_CHARS:
        short = short[: MAX_WHY_CHARS - 1].rstrip() + "…"
    return short


def _suggestion_block(suggestion: str, as_suggestion: bool) -> str:
    body = suggestion.replace("\r\n", "\n").strip("\n")
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * (longest + 1)
    if as_suggestion:
        return f"{fence}suggestion\n{body}\n{fence}"
    return f"Suggested change:\n\n{fence}python\n{body}\n{fence}"


# ---------------------------------------------------------------- review summary


@dataclass(frozen=True)
class ReviewStats:
    """Facts about the review that the findings do not carry. `run_id`, when given, makes the
    summary marker unique to one attempt, so a retried post can find its own orphan review."""

    head_sha: str = ""
    files_reviewed: int | None = None
    already_posted: int = 0
    max_inline: int = DEFAULT_MAX_INLINE
    run_id: str = ""
    notes: tuple[str, ...] = ()


def review_summary(findings_inline: Sequence[Finding], findings_in_summary: Sequence[SummaryItem | Finding],
                   errors: Sequence[FileError], stats: ReviewStats) -> str:
    """The review body: counts, a principle × severity table, every finding not commented
    inline (with why), the files not fully analysed, and the summary marker."""
    items = [item if isinstance(item, SummaryItem) else SummaryItem(item, SummaryReason.OUTSIDE_DIFF)
             for item in findings_in_summary]
    new_findings = list(findings_inline) + [item.finding for item in items]
    head = [f"## {TITLE}", ""]
    head.append(_headline(new_findings, len(findings_inline), len(items), stats))
    head.extend(f"\n{sanitize_text(note)}" for note in stats.notes if note.strip())
    if new_findings:
        head.extend(["", *_principle_table(new_findings)])

    listed: list[str] = [f.fingerprint for f in findings_inline]
    error_lines = _error_section(errors)
    budget = MAX_BODY_CHARS - len("\n".join(head)) - len("\n".join(error_lines)) - 400
    budget -= 17 * len(listed) + 200
    finding_lines, listed_items, left_out = _summary_sections(items, stats.max_inline, budget)
    listed.extend(item.finding.fingerprint for item in listed_items)

    lines = head
    if finding_lines:
        lines.extend(["", "### Findings not commented inline", "", *finding_lines])
    if left_out:
        lines.extend(["", f"{_count(left_out, 'more finding')} {'is' if left_out == 1 else 'are'} not "
                          "listed here for length; the check run's annotations show every finding."])
    if error_lines:
        lines.extend(["", *error_lines])
    lines.extend(["", summary_marker(stats.head_sha, listed, stats.run_id)])
    return "\n".join(lines)


def with_rejected_comments(body: str, rejected: Sequence[InlineComment]) -> str:
    """`body` (a review summary) with the comments GitHub refused listed before its marker."""
    if not rejected:
        return body
    marker = parse_marker(body)
    text = body.rstrip()
    if marker is not None and marker.kind == "summary":
        text = text.rsplit("\n", 1)[0].rstrip()
    lines = [text, "", f"**{_REASON_HEADINGS[SummaryReason.REJECTED]}:**", ""]
    lines.extend(_item_line(comment.finding) for comment in sorted(rejected, key=lambda c: review_key(c.finding)))
    if marker is not None and marker.kind == "summary":
        fingerprints = list(marker.fingerprints)
        fingerprints.extend(c.finding.fingerprint for c in rejected if c.finding.fingerprint not in fingerprints)
        lines.extend(["", summary_marker(marker.head_sha, fingerprints, marker.run_id)])
    return "\n".join(lines)


def _headline(findings: Sequence[Finding], inline: int, in_summary: int, stats: ReviewStats) -> str:
    sentences: list[str] = []
    scope = []
    if stats.files_reviewed is not None:
        scope.append(_count(stats.files_reviewed, "changed Python file"))
    if stats.head_sha:
        scope.append(f"at {stats.head_sha[:7]}" if scope else stats.head_sha[:7])
    if scope:
        sentences.append(f"Reviewed {' '.join(scope)}.")
    if findings:
        by_severity = [_count(sum(1 for f in findings if f.severity is s), str(s), plural=s is not Severity.INFO)
                       for s in SEVERITIES]
        sentences.append(f"**{_count(len(findings), 'new finding')}**: {', '.join(by_severity)}.")
        placed = []
        if inline:
            placed.append(f"{_count(inline, 'inline comment')}")
        if in_summary:
            placed.append(f"{in_summary} listed below")
        sentences.append(" and ".join(placed) + ".")
    else:
        sentences.append("No new performance findings in the changed lines.")
    if stats.already_posted:
        earlier = "an earlier review" if stats.already_posted == 1 else "earlier reviews"
        sentences.append(f"{_count(stats.already_posted, 'finding')} already reported by {earlier} "
                         f"{'is' if stats.already_posted == 1 else 'are'} not repeated.")
    return " ".join(sentences)


def _principle_table(findings: Sequence[Finding]) -> list[str]:
    lines = ["| Principle | error | warning | info | total |", "|---|---:|---:|---:|---:|"]
    for principle in Principle:
        row = [sum(1 for f in findings if f.principle == principle and f.severity is s) for s in SEVERITIES]
        lines.append(f"| {principle} | {' | '.join(map(str, row))} | {sum(row)} |")
    totals = [sum(1 for f in findings if f.severity is s) for s in SEVERITIES]
    lines.append(f"| **total** | {' | '.join(map(str, totals))} | {sum(totals)} |")
    return lines


def _summary_sections(items: Sequence[SummaryItem], max_inline: int,
                      budget: int) -> tuple[list[str], list[SummaryItem], int]:
    lines: list[str] = []
    listed: list[SummaryItem] = []
    left_out = 0
    for reason in SummaryReason:
        group = [item for item in items if item.reason is reason]
        if not group:
            continue
        heading = [f"**{_REASON_HEADINGS[reason].format(limit=_count(max_inline, 'inline comment'))}:**", ""]
        section: list[str] = []
        for item in group:
            line = _item_line(item.finding)
            cost = len(line) + 1 + len(item.finding.fingerprint) + 1
            if budget - cost < 0:
                left_out += 1
                continue
            budget -= cost
            section.append(line)
            listed.append(item)
        if section:
            if lines:
                lines.append("")
            lines.extend(heading + section)
    return lines, listed, left_out


def _item_line(finding: Finding) -> str:
    span = str(finding.line) if finding.end_line <= finding.line else f"{finding.line}-{finding.end_line}"
    return (f"- {code(f'{finding.path}:{span}')} **{finding.rule}** {finding.name} ({finding.severity}): "
            f"{sanitize_text(finding.message)}")


def _error_section(errors: Sequence[FileError]) -> list[str]:
    if not errors:
        return []
    lines = ["### Files not fully analysed", ""]
    for error in sorted(errors, key=lambda e: (e.path, e.kind)):
        lines.append(f"- {code(error.path)} ({sanitize_text(error.kind)}): {sanitize_text(error.message)}")
    return lines


def _count(number: int, noun: str, *, plural: bool = True) -> str:
    return f"{number} {noun}{'s' if plural and number != 1 else ''}"


def _clip(body: str, marker: str) -> str:
    if len(body) <= MAX_BODY_CHARS:
        return body
    keep = MAX_BODY_CHARS - len(marker) - 40
    text = body[:keep]
    if text.count("```") % 2:
        text += "\n```"
    return f"{text}\n\n(shortened)\n\n{marker}"


# ---------------------------------------------------------------- check run


def check_run_summary(findings: Sequence[Finding], errors: Sequence[FileError], head_sha: str = "") -> str:
    """The check run's summary for a commit: every current finding is counted (the annotations
    list them), including those an earlier review already commented on."""
    at = f" at {head_sha[:7]}" if head_sha else ""
    if findings:
        lines = [f"{_count(len(findings), 'finding')}{at}; each is annotated below.", "", *_principle_table(findings)]
    else:
        lines = [f"No performance findings in the changed lines{at}."]
    error_lines = _error_section(errors)
    if error_lines:
        lines.extend(["", *error_lines])
    return "\n".join(lines)


def config_error_summary(message: str) -> str:
    """Why no review ran: the repository's configuration is invalid."""
    return ("The repository's reviewbot configuration could not be read, so no review ran:\n\n"
            f"> {sanitize_text(message)}\n\n"
            "Fix `.reviewbot.toml` (or `[tool.reviewbot]` in `pyproject.toml`) and push again.")


# ---------------------------------------------------------------- what would be posted


def render_review_markdown(findings: Sequence[Finding], errors: Sequence[FileError], *,
                           diffs: Mapping[str, FileDiff] | None = None, max_inline: int = DEFAULT_MAX_INLINE,
                           head_sha: str = "") -> str:
    """The review the App would post for these findings: its summary, then each inline comment
    under its anchor. Without `diffs` every finding is taken as commentable on its own lines."""
    plan = plan_review(findings, diffs, max_inline=max_inline)
    stats = ReviewStats(head_sha=head_sha, max_inline=max_inline)
    parts = [review_summary(plan.inline_findings, plan.in_summary, errors, stats)]
    if plan.inline:
        parts.append("## Inline comments")
        for comment in plan.inline:
            parts.append(f"### {code(comment.anchor)}\n\n{inline_comment_body(comment)}")
    return "\n\n".join(parts) + "\n"
