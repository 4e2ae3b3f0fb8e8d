"""Prompt rendering and the code context a prompt shows."""

from __future__ import annotations

import dataclasses

import jinja2
import pytest

from reviewbot.llm.cache import cache_key
from reviewbot.llm.cards import builtin_rule_cards
from reviewbot.llm.context import MAX_CONTEXT_LINES, build_context
from reviewbot.llm.prompts import (
    PROMPT_VERSION,
    PromptParts,
    new_nonce,
    render_correction,
    render_messages,
    rule_doc,
)
from tests.llm.conftest import RATES_PY, analysed


def parts_for(source: bytes, index: int = 0, path: str = "app/rates.py") -> PromptParts:
    finding = analysed({path: source})[index]
    return PromptParts(finding, builtin_rule_cards().for_finding(finding), rule_doc(finding.rule),
                       build_context(source, finding))


def test_the_system_prompt_carries_the_rule_card_and_the_user_prompt_the_finding():
    parts = parts_for(RATES_PY)
    system, user = render_messages(parts, nonce="n0nce")
    assert system["role"] == "system" and user["role"] == "user"
    card = builtin_rule_cards().cards["async-processing"]
    assert card.body in system["content"]
    assert card.description in system["content"]
    assert "flagged lines 9-9" in system["content"]
    assert "Finding RB203 (http-call-without-timeout) in `app/rates.py`, flagged lines 9-9" in user["content"]
    assert "Checks for outgoing HTTP requests made without a timeout" in user["content"]  # the rule doc
    assert parts.finding.message in user["content"]
    assert '>  9 |     response = requests.get(f"{RATES_URL}?base={currency}")' in user["content"]
    assert "   8 | def fetch_rates(currency):" in user["content"]
    assert "fetch_history" not in user["content"]  # only the enclosing function
    assert "import requests" in user["content"]


def test_untrusted_material_sits_between_nonce_markers():
    parts = parts_for(RATES_PY)
    system, user = render_messages(parts, nonce="5eed")
    assert 'between the markers "BEGIN UNTRUSTED 5eed" and "END UNTRUSTED 5eed"' in system["content"]
    text = user["content"]
    assert text.count("BEGIN UNTRUSTED 5eed") == text.count("END UNTRUSTED 5eed") == 3
    code_block = text.split("BEGIN UNTRUSTED 5eed")[3].split("END UNTRUSTED 5eed")[0]
    assert "requests.get" in code_block


def test_the_nonce_is_random_and_never_part_of_the_code():
    parts = parts_for(RATES_PY)
    first = render_messages(parts)[1]["content"]
    second = render_messages(parts)[1]["content"]
    assert first != second
    candidates = iter(["import", "requests", "c0ffee"])
    assert new_nonce("import requests", lambda: next(candidates)) == "c0ffee"


def test_templates_fail_loudly_on_a_missing_value(tmp_path):
    (tmp_path / f"{PROMPT_VERSION}.system.j2").write_text("{{ card.title }} {{ not_provided }}")
    (tmp_path / f"{PROMPT_VERSION}.user.j2").write_text("x")
    with pytest.raises(jinja2.UndefinedError):
        render_messages(parts_for(RATES_PY), directory=tmp_path)


def test_the_correction_prompt_names_the_problem():
    text = render_correction("unknown fields: severity")
    assert text.startswith("Your previous answer could not be used: unknown fields: severity.")
    assert '"explanation"' in text and '"replacement"' in text


def test_a_long_flagged_span_gets_no_replacement_request():
    calls = ",\n".join(f"        {i}" for i in range(40))
    source = f"import requests\n\n\ndef push(url):\n    requests.post(\n        url,\n{calls},\n    )\n".encode()
    parts = parts_for(source)
    assert not parts.replacement_allowed
    assert 'set "replacement" to null' in render_messages(parts)[1]["content"]
    assert parts_for(RATES_PY).replacement_allowed


def test_context_is_the_enclosing_function_bounded_in_size():
    body = "\n".join(f"    step_{i} = {i}" for i in range(200))
    source = f"import requests\n\n\ndef long_job(url):\n{body}\n    requests.get(url)\n{body}\n".encode()
    finding = analysed({"app/job.py": source})[0]
    context = build_context(source, finding)
    assert len(context.lines) == MAX_CONTEXT_LINES
    assert context.first_line <= finding.line <= context.last_line
    assert context.truncated
    assert context.flagged_text() == "    requests.get(url)"


def test_context_at_module_level_is_a_window_around_the_finding():
    source = b"import requests\n" + b"".join(b"X%d = %d\n" % (i, i) for i in range(100)) + \
        b"DATA = requests.get('https://example.com/data.json').json()\n" + b"Y = 1\n" * 50
    finding = analysed({"app/boot.py": source})[0]
    context = build_context(source, finding)
    assert len(context.lines) <= 30
    assert context.first_line <= finding.line <= context.last_line
    assert not context.truncated


def test_the_context_digest_ignores_where_the_code_sits():
    moved = b"# a new comment line\n# and another\n" + RATES_PY
    here = parts_for(RATES_PY)
    there = parts_for(moved)
    assert here.finding.line + 2 == there.finding.line
    assert here.context.digest() == there.context.digest()
    assert cache_key("m", here) == cache_key("m", there)
    edited = parts_for(RATES_PY.replace(b"return response.json()", b"return response.json()['rates']"))
    assert cache_key("m", edited) != cache_key("m", here)


def test_the_cache_key_covers_model_prompt_version_rule_and_card():
    parts = parts_for(RATES_PY)
    key = cache_key("model-a", parts)
    assert cache_key("model-b", parts) != key
    card = dataclasses.replace(parts.card, body=parts.card.body + "\nOne more line.")
    assert cache_key("model-a", dataclasses.replace(parts, card=card)) != key
    other_rule = dataclasses.replace(parts, finding=dataclasses.replace(parts.finding, rule="RB999"))
    assert cache_key("model-a", other_rule) != key
    assert len(key) == 64


def test_a_finding_without_a_card_is_grounded_in_its_rule_documentation():
    parts = dataclasses.replace(parts_for(RATES_PY), card=None)
    system, user = render_messages(parts)
    assert "No principle text is configured for this rule" in system["content"]
    assert "Documentation of rule RB203:" in user["content"]
