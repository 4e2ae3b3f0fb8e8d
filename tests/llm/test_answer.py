"""Reading the model's answer: tolerant of wrapping, strict about the schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from reviewbot.llm.answer import (
    ANSWER_SCHEMA,
    RESPONSE_FORMAT,
    AnswerError,
    ModelAnswer,
    Replacement,
    answer_from_json,
    parse_answer,
)

GOOD = {"explanation": "Pass a `timeout`.", "replacement": {"start_line": 9, "end_line": 9, "code": "x = 1"}}


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(GOOD),
        "```json\n" + json.dumps(GOOD, indent=2) + "\n```",
        "Here is the answer:\n" + json.dumps(GOOD) + "\nHope this helps.",
        "{not json} then " + json.dumps(GOOD),
    ],
    ids=["plain", "fenced", "prose-around", "junk-before"],
)
def test_an_answer_is_found_inside_wrapping(text):
    assert parse_answer(text) == ModelAnswer("Pass a `timeout`.", Replacement(9, 9, "x = 1"))


def test_a_null_replacement_means_explanation_only():
    assert parse_answer('{"explanation": " Why. ", "replacement": null}') == ModelAnswer("Why.")
    assert parse_answer('{"explanation": "Why."}') == ModelAnswer("Why.")


@pytest.mark.parametrize("text", ["", "I cannot help with that.", "```\nnope\n```", '{"explanation": '])
def test_text_without_a_json_object_is_malformed(text):
    with pytest.raises(AnswerError) as error:
        parse_answer(text)
    assert error.value.kind == "malformed"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({**GOOD, "severity": "info"}, "unknown fields: severity"),
        ({**GOOD, "approve": True, "findings": []}, "unknown fields: approve, findings"),
        ({"explanation": "", "replacement": None}, "non-empty string"),
        ({"explanation": 3, "replacement": None}, "non-empty string"),
        ({"explanation": "x" * 4001, "replacement": None}, "longer than 4000"),
        ({"explanation": "ok", "replacement": "x = 1"}, "must be null or"),
        ({"explanation": "ok", "replacement": {"start_line": 1, "end_line": 1}}, "must be null or"),
        ({"explanation": "ok", "replacement": {"start_line": "1", "end_line": 1, "code": ""}}, "integers"),
        ({"explanation": "ok", "replacement": {"start_line": True, "end_line": 1, "code": ""}}, "integers"),
    ],
)
def test_off_schema_answers_are_refused(value, problem):
    with pytest.raises(AnswerError) as error:
        parse_answer(json.dumps(value))
    assert error.value.kind == "off_schema"
    assert problem in str(error.value)


def test_a_json_value_that_is_not_an_object_is_off_schema():
    with pytest.raises(AnswerError, match="not a JSON object") as error:
        answer_from_json([GOOD])
    assert error.value.kind == "off_schema"


def test_the_json_schema_sent_to_the_endpoint_agrees_with_the_parser():
    jsonschema.Draft202012Validator.check_schema(ANSWER_SCHEMA)
    validator = jsonschema.Draft202012Validator(ANSWER_SCHEMA)
    assert validator.is_valid(GOOD)
    assert validator.is_valid({"explanation": "x", "replacement": None})
    assert not validator.is_valid({**GOOD, "severity": "info"})
    assert not validator.is_valid({"explanation": "x", "replacement": {"start_line": 1, "end_line": 1}})
    assert RESPONSE_FORMAT["json_schema"]["strict"] is True
    # Only two things can come back: prose and a replacement of flagged lines.
    assert set(ANSWER_SCHEMA["properties"]) == {"explanation", "replacement"}


def test_replacement_lines_round_trip_through_relative_form():
    answer = ModelAnswer("x", Replacement(12, 13, "y"))
    stored = answer.relative_to(12)
    assert stored.replacement == Replacement(0, 1, "y")
    assert stored.absolute_from(40).replacement == Replacement(40, 41, "y")
    assert ModelAnswer("x").relative_to(5) == ModelAnswer("x")
