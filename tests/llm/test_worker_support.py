"""The explanation step in the shape the review worker calls it."""

from __future__ import annotations

import json

import httpx
import pytest

from reviewbot import Config
from reviewbot.config import LlmOptions
from reviewbot.llm.cards import RuleCardError
from reviewbot.llm.worker_support import ReviewExplainer, cards_for_review, usable_team_cards
from tests.llm.conftest import COMPLETIONS, answer, completion, settings

TEAM_CARD = ("---\nid: caching\ntitle: Our cache policy\ndescription: Cache with TTLs.\nseverity: medium\n"
             "tags: []\napplies_to: []\nrelated_rules: []\n---\n\nEvery key has a TTL.\n")


def test_the_worker_gets_explained_findings_and_the_run_stats(llm_mock, rates_files, rates_findings, cache):
    llm_mock.post(COMPLETIONS).mock(return_value=httpx.Response(200, json=completion(answer("Why."))))
    runs = []
    explainer = ReviewExplainer(settings(), cache, on_stats=runs.append)
    assert explainer.configured
    outcome = explainer(rates_findings, rates_files, Config())
    assert [f.explanation for f in outcome.findings] == ["Why.", "Why."]
    assert [f.fingerprint for f in outcome.findings] == [f.fingerprint for f in rates_findings]
    assert len(runs) == 1 and runs[0].explained == 2 and runs[0].to_dict()["tokens_in"] == 2000
    assert outcome.stats["tokens_in"] == 2000 and outcome.stats["tokens_out"] == 160
    assert (outcome.stats["cache_hits"], outcome.stats["cache_misses"], outcome.stats["llm_calls"]) == (0, 2, 2)
    assert outcome.stats["team_rule_cards"] == [] and outcome.stats["rule_card_errors"] == []
    assert list(outcome.notes) == []

    again = explainer(rates_findings, rates_files, Config())
    assert (again.stats["cache_hits"], again.stats["llm_calls"], again.stats["tokens_in"]) == (2, 0, 0)


def test_each_call_returns_its_own_stats_when_runs_share_the_explainer(llm_mock, rates_files, rates_findings):
    llm_mock.post(COMPLETIONS).mock(return_value=httpx.Response(200, json=completion(answer("Why."))))
    explainer = ReviewExplainer(settings())
    one = explainer(rates_findings[:1], rates_files, Config())
    two = explainer(rates_findings, rates_files, Config())
    assert (one.stats["findings"], one.stats["llm_calls"]) == (1, 1)
    assert (two.stats["findings"], two.stats["llm_calls"]) == (2, 2)


def test_team_cards_ground_the_prompt_and_malformed_ones_are_reported(llm_mock, rates_files, rates_findings):
    route = llm_mock.post(COMPLETIONS).mock(return_value=httpx.Response(200, json=completion(answer("Why."))))
    team = {
        ".reviewbot/rules/http.md": TEAM_CARD.replace("id: caching", "id: async-processing")
        .replace("Every key has a TTL.", "Call platform.http.session().").encode(),
        ".reviewbot/rules/bad.md": TEAM_CARD.replace("title: Our cache policy\n", "").encode(),
        ".reviewbot/rules/later.md": TEAM_CARD.replace("id: caching", "id: async-processing").encode(),
        ".reviewbot/rules/latin.md": "caf\xe9".encode("latin-1"),
    }
    outcome = ReviewExplainer(settings())(rates_findings, rates_files, Config(), team_cards=team)
    assert [f.explanation for f in outcome.findings] == ["Why.", "Why."]
    system = json.loads(route.calls[0].request.content)["messages"][0]["content"]
    assert "Call platform.http.session()." in system
    errors = [
        ".reviewbot/rules/bad.md: rule card field 'title' is missing",
        ".reviewbot/rules/later.md: rule card id 'async-processing' is also used by .reviewbot/rules/http.md",
        ".reviewbot/rules/latin.md: rule card is not UTF-8 text",
    ]
    assert outcome.stats["rule_card_errors"] == errors
    assert outcome.stats["team_rule_cards"] == [".reviewbot/rules/http.md"]
    assert list(outcome.notes) == [f"A rule card of this repository was not used: {error}" for error in errors]


def test_usable_team_cards_keep_the_good_ones():
    team = usable_team_cards({"a.md": TEAM_CARD.encode(), "b.md": b"no front matter"})
    assert list(team.cards) == ["caching"]
    assert team.errors == ["b.md: rule card must start with a '---' YAML front matter block closed by '---'"]


def test_repository_cards_extend_or_replace_ours():
    extended = cards_for_review(Config(), {".reviewbot/rules/cache.md": TEAM_CARD})
    assert extended.cards["caching"].title == "Our cache policy"
    assert "query-optimization" in extended.cards
    replaced = cards_for_review(Config(llm=LlmOptions(rule_cards_mode="replace")),
                                {".reviewbot/rules/cache.md": TEAM_CARD})
    assert set(replaced.ids()) == {"caching"}
    assert "query-optimization" in cards_for_review(Config(), None).cards
    with pytest.raises(RuleCardError, match=r"^\.reviewbot/rules/bad\.md: rule card field 'title' is missing"):
        cards_for_review(Config(), {".reviewbot/rules/bad.md": TEAM_CARD.replace("title: Our cache policy\n", "")})
