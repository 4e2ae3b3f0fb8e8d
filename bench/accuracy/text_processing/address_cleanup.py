"""Plain Python (used by Celery import tasks): normalisation of imported customer addresses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

POSTCODE = re.compile(r"^[A-Z0-9 -]{3,10}$")
RULES_PATH = Path(__file__).with_name("street_rules.yaml")
COUNTRY_ALIASES = '{"UK": "GB", "England": "GB", "Deutschland": "DE", "Holland": "NL"}'


def normalise_phones(records: list[dict]) -> list[dict]:
    for record in records:
        digits = re.compile(r"[^0-9+]").sub("", record.get("phone", ""))  # expect: RB304
        record["phone"] = digits or None
    return records


def normalise_countries(records: list[dict]) -> list[dict]:
    for record in records:
        aliases = json.loads(COUNTRY_ALIASES)  # expect: RB304
        record["country"] = aliases.get(record["country"], record["country"])
    return records


def apply_street_rules(records: list[dict]) -> list[dict]:
    for record in records:
        rules = yaml.safe_load(open(RULES_PATH, encoding="utf-8"))  # expect: RB304
        for pattern, replacement in rules["replacements"].items():
            record["street"] = record["street"].replace(pattern, replacement)
    return records


def valid_postcodes(records: list[dict]) -> list[dict]:
    return [r for r in records if POSTCODE.match(r.get("postcode", "").upper())]


def split_by_prefix(records: list[dict], prefixes: list[str]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for prefix in prefixes:
        matcher = re.compile(rf"^{re.escape(prefix)}\d+")
        groups[prefix] = [r for r in records if matcher.match(r.get("postcode", ""))]
    return groups


def mask_emails(records: list[dict]) -> list[dict]:
    for record in records:
        record["email"] = re.sub(r"(?<=.).(?=[^@]*@)", "*", record.get("email", ""))
    return records
