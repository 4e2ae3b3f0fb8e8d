"""Unified diffs: which new-side lines a change added and which lines GitHub lets us comment on."""

from reviewbot.diff.unified import DiffError, FileDiff, Hunk, file_diff_from_patch, parse_unified_diff

__all__ = ["DiffError", "FileDiff", "Hunk", "file_diff_from_patch", "parse_unified_diff"]
