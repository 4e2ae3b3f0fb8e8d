"""The README says the same thing as the code: its rule table, its example settings, its commands."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from reviewbot.checks import all_rules
from reviewbot.config import parse_config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_rule_is_in_the_readme_table_with_its_metadata():
    for rule in all_rules():
        row = f"| {rule.code} | `{rule.name}` | {rule.principle} | {rule.severity} |"
        assert row in README, f"README rule table lacks or misstates {rule.code}"
    listed = set(re.findall(r"^\| (RB\d{3}) \|", README, re.M))
    assert listed == {rule.code for rule in all_rules()}


def test_the_example_settings_are_valid():
    blocks = re.findall(r"```toml\n(.*?)```", README, re.S)
    assert blocks, "README has no example settings"
    codes = [rule.code for rule in all_rules()]
    for block in blocks:
        document = tomllib.loads(block)
        parse_config(document["tool"]["reviewbot"], "README.md", codes)


def test_the_quick_start_names_the_two_make_targets():
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no {target} target"
