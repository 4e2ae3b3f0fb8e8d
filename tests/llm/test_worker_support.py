"""The explanation step in the shape the review worker calls it."""

from __future__ import annotations

import httpx
import pytest

from reviewbot import Config
from reviewbot.config import LlmOptions
from reviewbot.llm.cards import RuleCardError
from reviewbot.llm.worker_support import ReviewExplainer, cards_for_review
from tests.llm.conftest import COMPLETIONS, answer, completion, settings

TEAM_CARD = ("---\nid: caching\ntitle: Our cache policy\ndescription: Cache with TTLs.\nseverity: medium\n"
             "tags: []\napplies_to: []\nrelated_rules: []\n---\n\nEvery key has a TTL.\n")


def test_the_worker_gets_explained_findings_and_the_run_stats(llm_mock, rates_files, rates_findings, cache):
    llm_mock.post(COMPLETIONS).mock(return_value=httpx.Response(200, json=completion(answer("Why."))))
    runs = []
    explainer = ReviewExplainer(settings(), cache, on_stats=runs.append)
    assert explainer.configured
    explained = explainer(rates_findings, rates_files, Config())
    assert [f.explanation for f in explained] == ["Why.", "Why."]
    assert [f.fingerprint for f in explained] == [f.fingerprint for f in rates_findings]
    assert len(runs) == 1 and runs[0].explained == 2 and runs[0].to_dict()["tokens_in"] == 2000


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
