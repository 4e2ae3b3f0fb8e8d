"""Rule cards: ours load, every rule is grounded in one, and a bad card is refused by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewbot.checks import all_rules
from reviewbot.findings import Principle
from reviewbot.llm.cards import (
    BUILTIN_CARDS_DIR,
    RuleCardError,
    RuleCardSet,
    builtin_rule_cards,
    find_prompts_dir,
    load_rule_card_dir,
    parse_rule_card,
)
from tests.llm.conftest import analysed

VALID = """---
id: "team-http"
title: "Our HTTP client policy"
description: "Every outgoing call goes through platform.http with its retry budget."
severity: "high"
tags: ["http"]
applies_to: ["python"]
related_rules: ["async-processing"]
---

Use `platform.http.session()`; it sets timeouts and retries for you.
"""


def test_there_is_one_builtin_card_per_principle():
    cards = builtin_rule_cards()
    assert set(cards.ids()) == {str(p) for p in Principle}
    for path in BUILTIN_CARDS_DIR.glob("*.md"):
        assert parse_rule_card(path.read_text(), str(path)).id == path.stem


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_every_rule_is_grounded_in_a_loaded_card(rule):
    card = builtin_rule_cards().cards.get(str(rule.principle))
    assert card is not None, f"{rule.code} points at principle {rule.principle!r}, which has no card"


@pytest.mark.parametrize("card", list(builtin_rule_cards().cards.values()), ids=lambda c: c.id)
def test_builtin_cards_are_substantive(card):
    for heading in ("## What to do", "## Why it matters", "## How it applies to Python backends",
                    "## Example to avoid", "## Example to follow"):
        assert heading in card.body, f"{card.id} lacks {heading!r}"
    assert card.body.count("```python") >= 2
    assert len(card.body.split()) >= 350
    assert card.related_rules and all(r in {str(p) for p in Principle} for r in card.related_rules)
    assert card.tags and card.applies_to and card.description


def test_builtin_cards_are_written_in_our_own_words():
    seed = Path(__file__).resolve().parents[3] / "shared" / "seed" / "backend-performance-optimization.md"
    if not seed.is_file():
        pytest.skip("the seed rule card is not beside this checkout")

    def shingles(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"[a-z0-9]+", text.lower())
        return {tuple(words[i : i + 7]) for i in range(len(words) - 6)}

    seed_shingles = shingles(seed.read_text())
    for card in builtin_rule_cards().cards.values():
        shared = shingles(card.description + " " + card.body) & seed_shingles
        assert not shared, f"{card.id} repeats the seed card: {sorted(shared)[:3]}"


def test_a_valid_team_card_parses():
    card = parse_rule_card(VALID, ".reviewbot/rules/http.md")
    assert card.id == "team-http"
    assert card.tags == ("http",)
    assert card.body.startswith("Use `platform.http.session()`")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no front matter\n", "must start with a '---' YAML front matter block"),
        ("---\nid: [unclosed\n---\nbody\n", "front matter is not valid YAML (front matter line"),
        ("---\n- a\n- b\n---\nbody\n", "front matter must be a mapping"),
        (VALID.replace('id: "team-http"\n', ""), "field 'id' is missing"),
        (VALID.replace('title: "Our HTTP client policy"', "title: 12"), "field 'title' must be a non-empty string"),
        (VALID.replace('tags: ["http"]', 'tags: "http"'), "field 'tags' must be a list of strings"),
        (VALID.replace('related_rules: ["async-processing"]', "related_rules: [1]"),
         "field 'related_rules' must be a list of strings"),
        (VALID.replace('severity: "high"', 'severity: "urgent"'), "field 'severity' must be one of"),
        (VALID.replace('id: "team-http"', 'id: "team http!"'), "field 'id' must be letters"),
        (VALID.split("---\n\n")[0] + "---\n", "has no text after the front matter"),
    ],
)
def test_a_malformed_card_is_refused_naming_the_file_and_field(text, expected):
    with pytest.raises(RuleCardError) as error:
        parse_rule_card(text, ".reviewbot/rules/http.md")
    message = str(error.value)
    assert message.startswith(".reviewbot/rules/http.md: ")
    assert expected in message


def test_a_team_directory_extends_or_replaces_our_cards(tmp_path):
    (tmp_path / "http.md").write_text(VALID)
    (tmp_path / "async.md").write_text(
        VALID.replace('id: "team-http"', 'id: "async-processing"').replace("Our HTTP", "Our async")
    )
    (tmp_path / "notes.txt").write_text("not a card")
    team = load_rule_card_dir(tmp_path)
    assert set(team) == {"team-http", "async-processing"}

    extended = builtin_rule_cards().merged(team, "extend")
    assert set(extended.ids()) == {str(p) for p in Principle} | {"team-http"}
    assert extended.cards["async-processing"].title == "Our async client policy"
    assert extended.cards["caching"].source.endswith("caching.md")

    replaced = builtin_rule_cards().merged(team, "replace")
    assert set(replaced.ids()) == {"team-http", "async-processing"}


def test_duplicate_ids_and_missing_directories_are_refused(tmp_path):
    (tmp_path / "a.md").write_text(VALID)
    (tmp_path / "b.md").write_text(VALID)
    with pytest.raises(RuleCardError, match=r"b\.md: rule card id 'team-http' is also used by .*a\.md"):
        load_rule_card_dir(tmp_path)
    with pytest.raises(RuleCardError, match="rule card directory does not exist"):
        load_rule_card_dir(tmp_path / "missing")


def test_the_most_specific_card_grounds_a_finding(rates_files):
    finding = analysed(rates_files)[0]
    by_rule = parse_rule_card(VALID.replace('id: "team-http"', 'id: "RB203"'), "rb203.md")
    by_name = parse_rule_card(VALID.replace('id: "team-http"', 'id: "http-call-without-timeout"'), "name.md")
    ours = builtin_rule_cards()
    assert ours.for_finding(finding).id == "async-processing"
    assert ours.merged({"http-call-without-timeout": by_name}, "extend").for_finding(finding) is by_name
    both = ours.merged({"http-call-without-timeout": by_name, "RB203": by_rule}, "extend")
    assert both.for_finding(finding) is by_rule
    assert RuleCardSet({}).for_finding(finding) is None


def test_card_digest_changes_with_its_text():
    card = parse_rule_card(VALID, "a.md")
    edited = parse_rule_card(VALID.replace("retries for you", "retries"), "a.md")
    assert card.digest != edited.digest
    assert card.digest == parse_rule_card(VALID, "b.md").digest


def test_prompts_are_found_in_a_checkout_or_where_a_wheel_installs_them(tmp_path):
    checkout = tmp_path / "src"
    (checkout / "reviewbot" / "llm").mkdir(parents=True)
    (checkout / "prompts").mkdir()
    module = checkout / "reviewbot" / "llm" / "cards.py"
    assert find_prompts_dir(module, tmp_path / "venv") == (checkout / "prompts").resolve()
    (checkout / "prompts").rmdir()
    assert find_prompts_dir(module, tmp_path / "venv") == tmp_path / "venv" / "share" / "reviewbot" / "prompts"


def test_an_installation_without_its_prompts_reviews_without_explanations(rates_files, rates_findings, tmp_path):
    from reviewbot import Config
    from reviewbot.llm import LlmSettings, explain_findings

    settings = LlmSettings(api_key="k", model="m", base_url="http://127.0.0.1:9/v1", prompts_dir=tmp_path / "none")
    outcome = explain_findings(rates_findings, rates_files, Config(), settings)
    assert outcome.findings == rates_findings
    assert outcome.stats.disabled_reason.endswith("rule card directory does not exist")
