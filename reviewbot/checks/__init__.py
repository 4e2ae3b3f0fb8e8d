"""The rule catalog: one rule per module, collected by `registry.all_rules()`."""

from reviewbot.checks.registry import CheckContext, Report, Rule, all_rules, rule_by_code

__all__ = ["CheckContext", "Report", "Rule", "all_rules", "rule_by_code"]
