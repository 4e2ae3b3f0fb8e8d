"""The sandbox's own parts: rebuilding the example's base from its diff, and clear refusals."""

from __future__ import annotations

import pytest

from reviewbot.sandbox import SandboxUnavailable, base_files, load_example, load_fake_github
from reviewbot.sandbox import example as example_module
from reviewbot.sandbox import fake as fake_module
from reviewbot.sandbox.example import DiffDoesNotApply

DIFF = "\n".join([
    'diff --git a/app/views.py b/app/views.py',
    '--- a/app/views.py',
    '+++ b/app/views.py',
    '@@ -1,4 +1,5 @@',
    ' import json',
    '+import requests',
    ' ',
    ' def index():',
    '-    return json.dumps({})',
    '+    return requests.get("https://example.com").json()',
    'diff --git a/app/new.py b/app/new.py',
    'new file mode 100644',
    '--- /dev/null',
    '+++ b/app/new.py',
    '@@ -0,0 +1,2 @@',
    '+def added():',
    '+    return 1',
    'diff --git a/app/old.py b/app/old.py',
    'deleted file mode 100644',
    '--- a/app/old.py',
    '+++ /dev/null',
    '@@ -1,2 +0,0 @@',
    '-def removed():',
    '-    return 0',
    '',
])

HEAD = {
    "app/views.py": b'import json\nimport requests\n\ndef index():\n    return requests.get("https://example.com").json()\n',
    "app/new.py": b"def added():\n    return 1\n",
    "app/keep.py": b"x = 1\n",
}


def test_base_files_undo_the_diff():
    assert base_files(HEAD, DIFF) == {
        "app/views.py": b"import json\n\ndef index():\n    return json.dumps({})\n",
        "app/old.py": b"def removed():\n    return 0\n",
        "app/keep.py": b"x = 1\n",
    }


def test_a_diff_that_does_not_match_the_files_is_refused():
    changed = {**HEAD, "app/views.py": b"import json\n\ndef other():\n    pass\n"}
    with pytest.raises(DiffDoesNotApply, match="app/views.py: the hunk at line 1 does not match the file"):
        base_files(changed, DIFF)


def test_the_shipped_example_base_matches_the_old_side_of_its_diff(example):
    from unidiff import PatchSet

    for patched in PatchSet(example.diff_path.read_text()):
        path = patched.path
        if patched.is_added_file:
            assert path not in example.base and path in example.head
            continue
        base_lines = example.base[path].decode().splitlines()
        for hunk in patched:
            old_side = [line.value.rstrip("\n") for line in hunk if not line.is_added]
            start = hunk.source_start - 1
            assert base_lines[start:start + hunk.source_length] == old_side, (path, hunk.source_start)


def test_without_the_checkout_the_sandbox_says_what_it_needs(tmp_path, monkeypatch):
    monkeypatch.setattr(fake_module, "PROJECT_ROOT", tmp_path)
    with pytest.raises(SandboxUnavailable, match="the GitHub sandbox needs the source checkout; .*has no fakegithub"):
        load_fake_github()


def test_without_the_examples_the_demo_says_what_it_needs(tmp_path, monkeypatch):
    monkeypatch.setattr(example_module, "PROJECT_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SandboxUnavailable, match="the demo needs the examples/ directory of the source checkout"):
        load_example()
