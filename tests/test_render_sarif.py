"""`--format sarif`: a SARIF 2.1.0 log that validates against the OASIS schema.

tests/data/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 schema (errata 01), byte for byte as
published in oasis-tcs/sarif-spec (Schemata/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, Draft7Validator

from reviewbot import Config, analyze
from reviewbot.checks import all_rules, rule_by_code
from reviewbot.findings import FileError, Severity
from reviewbot.render.sarif import render_sarif, sarif_log
from tests.builders import finding

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    # The file is the OASIS errata01 schema itself, a draft-04 document.
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    Draft4Validator.check_schema(schema)
    return Draft7Validator(schema)




def test_log_of_a_real_analysis_validates(validator):
    source = b"import requests\n\ndef f(url):\n    return requests.get(url)\n"
    result = analyze({"app/client.py": source, "app/broken.py": b"def (:\n"}, config=Config())
    assert result.findings and result.errors
    log = json.loads(render_sarif(result.findings, result.errors, all_rules()))
    errors = sorted(validator.iter_errors(log), key=str)
    assert not errors, errors[0]


def test_every_rule_of_the_catalog_is_a_valid_descriptor(validator):
    findings = [finding(rule=rule.code, name=rule.name) for rule in all_rules()]
    log = sarif_log(findings, [], all_rules())
    assert not list(validator.iter_errors(log))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule.code for rule in all_rules()]


def test_rule_descriptor_comes_from_the_docstring():
    rule = rule_by_code("RB203")
    descriptor = sarif_log([], [], [rule])["runs"][0]["tool"]["driver"]["rules"][0]
    assert descriptor["id"] == "RB203"
    assert descriptor["name"] == "http-call-without-timeout"
    assert descriptor["shortDescription"] == {"text": rule.summary()}
    assert descriptor["fullDescription"]["markdown"] == rule.doc()
    assert descriptor["fullDescription"]["text"].startswith("Checks for outgoing HTTP requests made without a timeout")
    assert descriptor["help"] == {"text": rule.doc(), "markdown": rule.doc()}
    assert descriptor["defaultConfiguration"] == {"level": "warning"}
    assert descriptor["properties"] == {
        "category": "http-no-timeout",
        "principle": "async-processing",
        "tags": ["performance", "async-processing", "http-no-timeout"],
        "preview": False,
    }


def test_result_fields(validator):
    rule = rule_by_code("RB203")
    log = sarif_log([finding()], [], [rule])
    assert not list(validator.iter_errors(log))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "reviewbot"
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["results"] == [
        {
            "ruleId": "RB203",
            "ruleIndex": 0,
            "level": "warning",
            "message": {"text": "`requests.get` has no timeout"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "app/client.py", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 5, "startColumn": 12, "endLine": 5, "endColumn": 29},
                    }
                }
            ],
            "partialFingerprints": {"reviewbot/v1": "0123456789abcdef"},
            "properties": {"category": "http-no-timeout", "principle": "async-processing", "context": "handler"},
        }
    ]


def test_levels_follow_severity():
    rule = rule_by_code("RB203")
    log = sarif_log([finding(severity=s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)], [], [rule])
    assert [r["level"] for r in log["runs"][0]["results"]] == ["error", "warning", "note"]


def test_rule_index_points_at_the_rule_even_when_it_was_not_listed(validator):
    rb203 = rule_by_code("RB203")
    others = [rule for rule in all_rules() if rule.code != "RB203"]
    log = sarif_log([finding()], [], others)
    assert not list(validator.iter_errors(log))
    run = log["runs"][0]
    index = run["results"][0]["ruleIndex"]
    assert run["tool"]["driver"]["rules"][index]["id"] == rb203.code


def test_unknown_end_column_is_left_out():
    region = sarif_log([finding(end_column=0)], [], [])["runs"][0]["results"][0]["locations"][0]
    assert region["physicalLocation"]["region"] == {"startLine": 5, "startColumn": 12, "endLine": 5}


def test_paths_are_uri_references(validator):
    log = sarif_log([finding(path="app/my views/café.py"), finding(path="/elsewhere/x.py")], [], [])
    assert not list(validator.iter_errors(log))
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]]
    assert locations == [
        {"uri": "app/my%20views/caf%C3%A9.py", "uriBaseId": "%SRCROOT%"},
        {"uri": "file:///elsewhere/x.py"},
    ]


def test_errors_become_tool_execution_notifications(validator):
    errors = [FileError("app/broken.py", "syntax", "syntax error near line 3; analysed as far as it parsed"),
              FileError("app/x.py", "internal", "RB101 failed: KeyError")]
    log = sarif_log([], errors, [])
    assert not list(validator.iter_errors(log))
    invocation = log["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "warning",
            "message": {"text": "app/broken.py: syntax error near line 3; analysed as far as it parsed"},
            "descriptor": {"id": "syntax"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/broken.py",
                                                                     "uriBaseId": "%SRCROOT%"}}}],
        },
        {
            "level": "error",
            "message": {"text": "app/x.py: RB101 failed: KeyError"},
            "descriptor": {"id": "internal"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/x.py", "uriBaseId": "%SRCROOT%"}}}],
        },
    ]


def test_the_validator_rejects_a_broken_log(validator):
    # The schema check has teeth: a result without a message is not SARIF.
    log = sarif_log([finding()], [], [rule_by_code("RB203")])
    del log["runs"][0]["results"][0]["message"]
    assert list(validator.iter_errors(log))
    log = sarif_log([finding()], [], [rule_by_code("RB203")])
    log["runs"][0]["results"][0]["level"] = "warn"
    assert list(validator.iter_errors(log))
