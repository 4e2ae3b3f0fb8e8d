"""What the model may answer, and how an answer is read.

The answer has exactly two fields: an explanation and an optional replacement of flagged lines.
Nothing else a model writes can reach a finding: there is no field for severity, location, rule or
the review's verdict, and unknown fields make the answer off-schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_RAW_EXPLANATION_CHARS = 4000
MAX_REPLACEMENT_CHARS = 4000

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["explanation", "replacement"],
    "properties": {
        "explanation": {
            "type": "string",
            "description": "Why this finding matters in this code and what to do instead; plain prose.",
        },
        "replacement": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["start_line", "end_line", "code"],
                    "properties": {
                        "start_line": {"type": "integer"},
                        "end_line": {"type": "integer"},
                        "code": {"type": "string"},
                    },
                },
            ]
        },
    },
}

RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {"name": "finding_explanation", "strict": True, "schema": ANSWER_SCHEMA},
}


class AnswerError(ValueError):
    """An answer that cannot be used. `kind` is "malformed" (no JSON object) or "off_schema"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Replacement:
    start_line: int
    end_line: int
    code: str


@dataclass(frozen=True)
class ModelAnswer:
    explanation: str
    replacement: Replacement | None = None

    def relative_to(self, line: int) -> ModelAnswer:
        """Replacement lines as offsets from the finding's first line (how the cache stores them)."""
        return self._shifted(-line)

    def absolute_from(self, line: int) -> ModelAnswer:
        return self._shifted(line)

    def _shifted(self, delta: int) -> ModelAnswer:
        if self.replacement is None:
            return self
        r = self.replacement
        return ModelAnswer(self.explanation, Replacement(r.start_line + delta, r.end_line + delta, r.code))


_FENCE = re.compile(r"^\s*```[A-Za-z0-9_-]*[ \t]*\n(?P<inner>.*?)\n\s*```\s*$", re.S)


def parse_answer(text: str) -> ModelAnswer:
    """Read an answer, tolerating a code fence or prose around the JSON object."""
    value = _first_json_object(text)
    return answer_from_json(value)


def answer_from_json(value: Any) -> ModelAnswer:
    if not isinstance(value, dict):
        raise AnswerError("off_schema", "the answer is not a JSON object")
    unknown = sorted(set(value) - {"explanation", "replacement"})
    if unknown:
        raise AnswerError("off_schema", f"unknown fields: {', '.join(unknown)}")
    explanation = value.get("explanation")
    if not isinstance(explanation, str) or not explanation.strip():
        raise AnswerError("off_schema", "'explanation' must be a non-empty string")
    if len(explanation) > MAX_RAW_EXPLANATION_CHARS:
        raise AnswerError("off_schema", f"'explanation' is longer than {MAX_RAW_EXPLANATION_CHARS} characters")
    raw = value.get("replacement")
    if raw is None:
        return ModelAnswer(explanation.strip())
    if not isinstance(raw, dict) or set(raw) != {"start_line", "end_line", "code"}:
        raise AnswerError("off_schema", "'replacement' must be null or {start_line, end_line, code}")
    start, end, code = raw["start_line"], raw["end_line"], raw["code"]
    if not _is_int(start) or not _is_int(end) or not isinstance(code, str):
        raise AnswerError("off_schema", "'replacement' lines must be integers and 'code' a string")
    if len(code) > MAX_REPLACEMENT_CHARS:
        raise AnswerError("off_schema", f"'replacement.code' is longer than {MAX_REPLACEMENT_CHARS} characters")
    return ModelAnswer(explanation.strip(), Replacement(start, end, code))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _first_json_object(text: str) -> Any:
    fenced = _FENCE.match(text)
    if fenced is not None:
        text = fenced.group("inner")
    decoder = json.JSONDecoder()
    position = text.find("{")
    while position >= 0:
        try:
            value, _ = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            position = text.find("{", position + 1)
            continue
        return value
    raise AnswerError("malformed", "no JSON object in the answer")
