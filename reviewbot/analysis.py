"""The whole analysis core in one call: `analyze(files, diffs, config) -> AnalysisResult`.

Pure: it takes bytes and a frozen config and returns findings, with no I/O. Each file is parsed
once; every rule's patterns are compiled into one tree-sitter query that runs once per file.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from tree_sitter import Node, Query, QueryCursor

from reviewbot.checks.helpers import match_start
from reviewbot.checks.registry import CallSite, CheckContext, Match, ProjectIndex, Report, Rule, all_rules
from reviewbot.config import Config
from reviewbot.diff import FileDiff
from reviewbot.findings import AnalysisResult, FileError, Finding, fingerprint
from reviewbot.source import handlers, scopes
from reviewbot.source.imports import IMPORT_PATTERNS, add_import
from reviewbot.source.models import ModelIndex, build_model_index
from reviewbot.source.parsing import PYTHON, compile_query, kind_ids, parse
from reviewbot.source.source_file import SourceFile

# Only the call is captured: a second capture per call (its callee) costs the query more than
# looking the callee up from Python.
CALL_PATTERN = "(call) @call\n"
# Every loop, so that rules can rule out "inside a loop" by position instead of walking up the tree.
LOOP_PATTERN = (
    "[(for_statement) (while_statement) (list_comprehension) (set_comprehension) (dictionary_comprehension)"
    " (generator_expression)] @loop\n"
)
_ATTRIBUTE = kind_ids("attribute")
_IDENTIFIER = kind_ids("identifier")
_ATTRIBUTE_FIELD = PYTHON.field_id_for_name("attribute")
_FUNCTION_FIELD = PYTHON.field_id_for_name("function")
_CORE = "core"
_IMPORT, _CALL, _LOOP = "core:import", "core:call", "core:loop"


@dataclass(frozen=True)
class CombinedQuery:
    query: Query
    owners: tuple[str, ...]  # pattern index -> rule code, or "core"
    kinds: tuple[str, ...] = ()  # pattern index -> rule code, or which core pattern it is
    with_patterns: frozenset[str] = frozenset()  # the codes of the rules that contributed patterns


@lru_cache(maxsize=8)
def combined_query(rules: tuple[type[Rule], ...]) -> CombinedQuery:
    """One query holding the core patterns and every rule's patterns, with a map from pattern
    index back to the rule that contributed it."""
    sources = [(_IMPORT, IMPORT_PATTERNS), (_CALL, CALL_PATTERN), (_LOOP, LOOP_PATTERN)] + [
        (r.code, r.query) for r in rules if r.query.strip()
    ]
    text = ""
    spans: list[tuple[int, str]] = []
    for owner, source in sources:
        spans.append((len(text.encode()), owner))
        text += source.strip() + "\n"
    query = compile_query(text)
    kinds = []
    for index in range(query.pattern_count):
        start = query.start_byte_for_pattern(index)
        kind = _IMPORT
        for span_start, span_owner in spans:
            if span_start <= start:
                kind = span_owner
        kinds.append(kind)
    owners = tuple(_CORE if kind.startswith("core:") else kind for kind in kinds)
    return CombinedQuery(query=query, owners=owners, kinds=tuple(kinds),
                         with_patterns=frozenset(r.code for r in rules if r.query.strip()))


def enabled_rules(config: Config) -> tuple[type[Rule], ...]:
    return tuple(r for r in all_rules() if config.enables(r.code, r.preview))


def analyze(
    files: Mapping[str, bytes],
    diffs: Mapping[str, FileDiff] | None = None,
    config: Config | None = None,
    *,
    diff_filter: str = "added",
    model_sources: Mapping[str, bytes] | None = None,
    models: ModelIndex | None = None,
) -> AnalysisResult:
    """Analyse `files` (path -> bytes). With `diffs`, only findings on changed code are kept (see
    `FileDiff.touches` for `diff_filter`). `model_sources` are extra files (not reported on) that
    define the project's models; `models` is a ready index, when the caller built one already."""
    config = config or Config()
    rules = enabled_rules(config)
    result = AnalysisResult()
    if models is None:
        models = build_model_index({**(model_sources or {}), **files})
    project = ProjectIndex(models=models)
    for path in sorted(files):
        if config.is_excluded(path):
            continue
        diff = None
        if diffs is not None:
            diff = diffs.get(path)
            if diff is None or diff.status == "removed":
                continue
        findings, errors = analyze_file(path, files[path], config, rules, project)
        result.errors.extend(errors)
        if diff is not None:
            findings = [f for f in findings if diff.touches(f.line, f.end_line, diff_filter)]
        result.findings.extend(findings)
    result.findings.sort(key=lambda f: (f.path, f.line, f.column, f.rule))
    return result


def analyze_file(
    path: str, data: bytes, config: Config, rules: tuple[type[Rule], ...], project: ProjectIndex
) -> tuple[list[Finding], list[FileError]]:
    """One file, guarded: whatever goes wrong is reported in `errors`, never raised."""
    with scopes.remembering_parents():
        return _analyze_file(path, data, config, rules, project)


def _analyze_file(
    path: str, data: bytes, config: Config, rules: tuple[type[Rule], ...], project: ProjectIndex
) -> tuple[list[Finding], list[FileError]]:
    problem = unreadable_reason(data, config.max_file_size)
    if problem is not None:
        return [], [FileError(path, "skipped", problem)]
    errors: list[FileError] = []
    try:
        tree = parse(data)
    except Exception as error:  # the parser is C code; keep going with the other files
        return [], [FileError(path, "internal", f"could not parse: {error}")]
    if tree.root_node.has_error:
        line = first_error_line(tree.root_node)
        errors.append(FileError(path, "syntax", f"syntax error near line {line}; analysed as far as it parsed"))
    file = SourceFile(path=path, source=data, tree=tree, path_context=path_context(config, path))
    combined = combined_query(rules)
    kinds = combined.kinds
    per_rule: dict[str, list[Match]] = {}
    ctx = CheckContext(file=file, config=config, project=project)
    calls = ctx.calls
    calls_by_method = ctx.calls_by_method
    loops = ctx.loops
    unusual: list[CallSite] = []  # callees that are neither a name nor an attribute: `f()()`, `(g)()`
    try:
        for pattern_index, match in QueryCursor(combined.query).matches(tree.root_node):
            kind = kinds[pattern_index]
            if kind is _CALL:
                # Runs for every call of every file: kind ids, field ids and slices of `data`
                # instead of `.type`, field names and `.text`.
                call = match["call"][0]
                function = call.child_by_field_id(_FUNCTION_FIELD)
                if function is None or not function.is_named:
                    continue
                callee_kind = function.kind_id
                if callee_kind in _ATTRIBUTE:
                    name = function.child_by_field_id(_ATTRIBUTE_FIELD)
                    method = "" if name is None else data[name.start_byte : name.end_byte].decode()
                    site = CallSite(call, None, method, file)
                else:
                    method = data[function.start_byte : function.end_byte].decode()
                    site = CallSite(call, None, method, file)
                    if callee_kind not in _IDENTIFIER:
                        unusual.append(site)
                calls.append(site)
                if method in calls_by_method:
                    calls_by_method[method].append(site)
                else:
                    calls_by_method[method] = [site]
            elif kind is _LOOP:
                loops.append(match["loop"][0])
            elif kind is _IMPORT:
                add_import(file.imports, match)
            elif kind in per_rule:
                per_rule[kind].append(match)
            else:
                per_rule[kind] = [match]
    except RecursionError:
        return [], errors + [FileError(path, "skipped", "nesting too deep to analyse")]
    _index_renamed_calls(ctx, unusual)
    with scopes.knowing_loops(ctx.loops):
        findings = _run_rules(ctx, rules, per_rule, combined.with_patterns, errors)
    return findings, errors


def _run_rules(ctx: CheckContext, rules: tuple[type[Rule], ...], per_rule: dict[str, list[Match]],
               with_patterns: frozenset[str], errors: list[FileError]) -> list[Finding]:
    """Each rule on its matches; a rule's failure becomes an error in `errors`."""
    file, config, path = ctx.file, ctx.config, ctx.file.path
    findings: list[Finding] = []
    occurrences: dict[str, int] = {}
    for rule in rules:
        matches = per_rule.get(rule.code, [])
        if not matches and rule.code in with_patterns:
            continue
        if len(matches) > 1:
            matches.sort(key=match_start)
        try:
            reports = list(rule().check(ctx, matches))
        except RecursionError:
            errors.append(FileError(path, "internal", f"{rule.code}: nesting too deep; rule skipped for this file"))
            continue
        except Exception as error:  # one rule's bug must not lose the other findings
            errors.append(FileError(path, "internal", f"{rule.code} failed: {type(error).__name__}: {error}"))
            continue
        if not reports:
            continue
        for report in _unique(reports):
            finding = _to_finding(rule, report, file, config, occurrences)
            if finding is not None:
                findings.append(finding)
    return findings


def path_context(config: Config, path: str) -> str:
    """`config.path_context(path)`, with each glob list compiled into one regular expression:
    matching a path against some twenty globs one `fnmatch` at a time costs more than parsing a
    small file."""
    path = path.replace("\\", "/").removeprefix("./")
    if _glob_matcher(tuple(config.test_paths))(path):
        return "test"
    if _glob_matcher(tuple(config.migration_paths))(path):
        return "migration"
    if _glob_matcher(tuple(config.script_paths))(path):
        return "script"
    return ""


@lru_cache(maxsize=32)
def _glob_matcher(patterns: tuple[str, ...]) -> Callable[[str], object]:
    """A test equal to `config.path_matches(path, patterns)` for a normalised path: a glob, a
    `**/` prefix that matches no directory at all, and a `/**` suffix that matches the directory
    itself."""
    alternatives: list[str] = []
    for pattern in patterns:
        alternatives.append(fnmatch.translate(pattern))
        if pattern.startswith("**/"):
            alternatives.append(fnmatch.translate(pattern[3:]))
        if pattern.endswith("/**"):
            alternatives.append(re.escape(pattern[:-3]) + r"\Z")
            alternatives.append(fnmatch.translate(pattern[:-3] + "/*"))
    if not alternatives:
        return lambda path: None
    return re.compile("|".join(alternatives)).match


def unreadable_reason(data: bytes, max_size: int) -> str | None:
    if not data or data.isspace():  # `isspace` stops at the first other byte; `strip` copies the file
        return "empty file"
    if len(data) > max_size:
        return f"larger than {max_size} bytes (max-file-size)"
    if b"\0" in data[:8192]:
        return "binary file"
    if data.isascii():
        return None  # ASCII is UTF-8, and most source files are ASCII: no need to decode them
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not UTF-8 (byte {error.start})"
    return None


def first_error_line(root: Node) -> int:
    cursor = root.walk()
    # Iterative descent to the first ERROR or MISSING node: never recursion on deep trees.
    node = root
    while True:
        child = next((c for c in node.children if c.has_error or c.is_error or c.is_missing), None)
        if child is None or node.is_error or node.is_missing:
            del cursor
            return node.start_point[0] + 1
        node = child


def character_column(source: bytes, byte_offset: int, byte_column: int) -> int:
    """The 1-based character column of a position that tree-sitter gives as a byte column:
    `é` is two bytes in UTF-8 but one column in an editor."""
    prefix = source[byte_offset - byte_column : byte_offset]
    if prefix.isascii():
        return byte_column + 1
    return len(prefix.decode("utf-8", "replace")) + 1


def _index_renamed_calls(ctx: CheckContext, unusual: list[CallSite]) -> None:
    """Also index a call under the last segment of its resolved name when that differs from the
    written one: after `from time import sleep as nap`, `nap()` is found under `sleep` too.

    Names are resolved lazily, so only the calls that can differ are looked at: a bare name that an
    import renames, and the rare callee that is neither a name nor an attribute (`a.b()()`). An
    attribute's last segment never changes by resolution."""
    # resolved last segment -> groups of calls written otherwise, each group in call order
    renamed: dict[str, list[list[CallSite]]] = {}
    by_method = ctx.calls_by_method
    for local, target in ctx.file.imports.items():
        sites = by_method.get(local)
        if not sites:
            continue
        last = target.rsplit(".", 1)[-1]
        if last == local:
            continue
        group = []
        for site in sites:
            function = site.node.child_by_field_name("function")
            if function is not None and function.type == "identifier":
                group.append(site)
        if group:
            renamed.setdefault(last, []).append(group)
    for site in unusual:
        name = site.name
        if name is not None:
            last = name.rsplit(".", 1)[-1]
            if last != site.method:
                renamed.setdefault(last, []).append([site])
    order: dict[int, int] | None = None
    for last, groups in renamed.items():
        existing = by_method.get(last)
        if not existing and len(groups) == 1:
            by_method[last] = groups[0]
            continue
        # Merged in call order, as `calls_to` reads each list in that order.
        if order is None:
            order = {id(site): index for index, site in enumerate(ctx.calls)}
        merged = list(existing or [])
        for group in groups:
            merged.extend(group)
        merged.sort(key=lambda site: order[id(site)])  # type: ignore[index]
        by_method[last] = merged


def _unique(reports: list[Report]) -> list[Report]:
    if len(reports) < 2:
        return reports
    seen: set[tuple[int, int]] = set()
    unique = []
    for report in sorted(reports, key=lambda r: (r.node.start_byte, r.node.end_byte)):
        key = (report.node.start_byte, report.node.end_byte)
        if key not in seen:
            seen.add(key)
            unique.append(report)
    return unique


_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.I)
_IGNORE = re.compile(r"#\s*reviewbot:\s*ignore(?:\[(?P<codes>[^\]]*)\])?", re.I)


def suppressed_codes(line: str) -> set[str] | None:
    """Codes silenced by a comment on this line; an empty set means all codes, None means none.
    `# noqa`, `# noqa: RB101, RB102`, `# reviewbot: ignore[RB101] reason`."""
    if "#" not in line:
        return None
    result: set[str] | None = None
    for pattern in (_NOQA, _IGNORE):
        for match in pattern.finditer(line):
            codes = match.group("codes")
            if not codes or not codes.strip():
                return set()
            result = (result or set()) | {c.strip().upper() for c in re.split(r"[\s,]+", codes) if c.strip()}
    return result


def _is_suppressed(rule: type[Rule], file: SourceFile, start: int, end: int) -> bool:
    for line in range(start, end + 1):
        codes = suppressed_codes(file.line_text(line))
        if codes is not None and (not codes or rule.code in codes or rule.name.upper() in codes):
            return True
    return False


def _to_finding(rule: type[Rule], report: Report, file: SourceFile, config: Config,
                occurrences: dict[str, int]) -> Finding | None:
    start = report.node
    end = report.end_node or report.node
    line = start.start_point[0] + 1
    end_line = end.end_point[0] + 1
    end_column = character_column(file.source, end.end_byte, end.end_point[1])
    if end.end_point[1] == 0 and end_line > line:
        end_line -= 1
        end_column = 0  # the span ends with a line break: no end column on `end_line`
    if _is_suppressed(rule, file, line, end_line) or rule.code in config.ignored_codes_for(file.path):
        return None
    context = file.path_context or handlers.enclosing_role(
        start, file, config.handler_decorators, config.task_decorators
    )
    severity = report.severity or rule.severity
    if rule.code in config.severity:
        severity = config.severity[rule.code]
    elif config.context_severity:
        if context in ("test", "migration", "script"):
            severity = severity.lowered()
        elif context in ("handler", "task"):
            severity = severity.raised()
    code = file.source[start.start_byte : end.end_byte]
    key = f"{rule.code}:{code!r}"
    occurrence = occurrences.get(key, 0)
    occurrences[key] = occurrence + 1
    return Finding(
        rule=rule.code,
        name=rule.name,
        category=rule.category,
        principle=str(rule.principle),
        severity=severity,
        path=file.path,
        line=line,
        end_line=end_line,
        column=character_column(file.source, start.start_byte, start.start_point[1]),
        end_column=end_column,
        message=report.message,
        fingerprint=fingerprint(rule.code, file.path, code, occurrence),
        context=context,
    )
