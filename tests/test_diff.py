"""Unified diffs, and `reviewbot check --diff` / `--git`: only changed code is reported."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.cli import main
from reviewbot.collect import Project, model_sources, project_models
from reviewbot.config import Config
from reviewbot.diff import DiffError, file_diff_from_patch, parse_unified_diff

TWO_HUNKS = """\
diff --git a/app/views.py b/app/views.py
index 1111111..2222222 100644
--- a/app/views.py
+++ b/app/views.py
@@ -1,4 +1,5 @@
 import requests
+import httpx
\x20
\x20
 def a():
@@ -20,6 +21,8 @@ def b():
     x = 1
     y = 2
     z = 3
+    w = 4
+    v = 5
     return x
\x20
\x20
"""


# ------------------------------------------------------------------------------ parsing


def test_modified_file_hunks_and_added_lines():
    [(path, diff)] = parse_unified_diff(TWO_HUNKS).items()
    assert path == "app/views.py"
    assert (diff.status, diff.old_path) == ("modified", "app/views.py")
    assert [(h.start, h.end, sorted(h.added)) for h in diff.hunks] == [(1, 5, [2]), (21, 28, [24, 25])]
    assert diff.added_lines == frozenset({2, 24, 25})


def test_commentable_lines_are_the_hunks_new_side():
    diff = parse_unified_diff(TWO_HUNKS)["app/views.py"]
    assert [line for line in range(0, 31) if diff.is_commentable(line)] == [*range(1, 6), *range(21, 29)]
    assert (diff.hunk_index(3), diff.hunk_index(21), diff.hunk_index(28), diff.hunk_index(29)) == (0, 1, 1, None)


def test_touches_by_filter_mode():
    diff = parse_unified_diff(TWO_HUNKS)["app/views.py"]
    assert [diff.touches(3, 4, mode) for mode in ("added", "hunk", "file", "all")] == [False, True, True, True]
    assert [diff.touches(23, 24, mode) for mode in ("added", "hunk", "file", "all")] == [True, True, True, True]
    assert [diff.touches(10, 12, mode) for mode in ("added", "hunk", "file", "all")] == [False, False, True, True]
    with pytest.raises(ValueError, match="unknown diff filter 'lines'"):
        diff.touches(1, 1, "lines")


def test_added_removed_and_renamed_files():
    text = (
        "diff --git a/app/new.py b/app/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/app/new.py\n"
        "@@ -0,0 +1,2 @@\n+import os\n+x = 1\n"
        "diff --git a/app/gone.py b/app/gone.py\ndeleted file mode 100644\n--- a/app/gone.py\n+++ /dev/null\n"
        "@@ -1,1 +0,0 @@\n-import os\n"
        "diff --git a/app/old_name.py b/app/new_name.py\nsimilarity index 90%\nrename from app/old_name.py\n"
        "rename to app/new_name.py\n--- a/app/old_name.py\n+++ b/app/new_name.py\n@@ -1,2 +1,2 @@\n"
        " import os\n-x = 1\n+x = 2\n"
    )
    diffs = parse_unified_diff(text)
    assert {path: (d.status, d.old_path) for path, d in diffs.items()} == {
        "app/new.py": ("added", None),
        "app/gone.py": ("removed", "app/gone.py"),
        "app/new_name.py": ("renamed", "app/old_name.py"),
    }
    assert diffs["app/new.py"].added_lines == frozenset({1, 2})
    assert diffs["app/new_name.py"].added_lines == frozenset({2})
    assert not diffs["app/gone.py"].is_commentable(1)
    assert not diffs["app/gone.py"].touches(1, 1, "all")


def test_text_that_is_not_a_diff():
    with pytest.raises(DiffError, match="not a unified diff"):
        parse_unified_diff("hello\nworld\n")
    assert parse_unified_diff("") == {}


def test_patch_field_of_a_pull_request_file():
    patch = "@@ -3,2 +3,3 @@ def f():\n     a = 1\n+    b = 2\n     return a"
    diff = file_diff_from_patch("app/x.py", patch)
    assert (diff.path, diff.status, diff.added_lines) == ("app/x.py", "modified", frozenset({4}))
    added = file_diff_from_patch("app/y.py", "@@ -0,0 +1,2 @@\n+a = 1\n+b = 2", status="added")
    assert added.added_lines == frozenset({1, 2})
    binary = file_diff_from_patch("app/logo.png", None)
    assert binary.hunks == () and not binary.is_commentable(1)


# ------------------------------------------------------------------------------ --diff

VIEWS = (
    "import requests\n"  # 1
    "\n"  # 2
    "\n"  # 3
    "def old():\n"  # 4
    "    return requests.get('https://a')\n"  # 5
    "\n"  # 6
    "\n"  # 7
    "\n"  # 8
    "\n"  # 9
    "\n"  # 10
    "def changed():\n"  # 11
    "    requests.get('https://b')\n"  # 12
    "    return requests.get('https://c')\n"  # 13
)
VIEWS_DIFF = """\
diff --git a/app/views.py b/app/views.py
--- a/app/views.py
+++ b/app/views.py
@@ -10,3 +10,4 @@
\x20
 def changed():
     requests.get('https://b')
+    return requests.get('https://c')
diff --git a/app/gone.py b/app/gone.py
deleted file mode 100644
--- a/app/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-import requests
diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -1 +1 @@
-old
+new
"""


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(VIEWS)
    (tmp_path / "app" / "untouched.py").write_text(VIEWS)
    (tmp_path / "README.md").write_text("new\n")
    (tmp_path / "pyproject.toml").write_text("[tool.reviewbot]\nselect = ['RB203']\n")
    (tmp_path / "changes.diff").write_text(VIEWS_DIFF)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_json(capsys, *args: str) -> tuple[int, list[tuple[str, int]], list[dict], str]:
    status = main(["check", "--format", "json", *args])
    captured = capsys.readouterr()
    document = json.loads(captured.out) if captured.out else {"findings": [], "errors": []}
    return status, [(f["path"], f["line"]) for f in document["findings"]], document["errors"], captured.err


def test_diff_reports_only_findings_on_added_lines(project, capsys):
    status, findings, errors, err = run_json(capsys, "--diff", "changes.diff")
    assert (status, findings, errors, err) == (1, [("app/views.py", 13)], [], "")


def test_diff_filter_widens_what_counts_as_changed(project, capsys):
    assert run_json(capsys, "--diff", "changes.diff", "--filter", "hunk")[1] == [("app/views.py", 12),
                                                                               ("app/views.py", 13)]
    assert run_json(capsys, "--diff", "changes.diff", "--filter", "file")[1] == [
        ("app/views.py", 5), ("app/views.py", 12), ("app/views.py", 13)]


def test_diff_from_standard_input(project, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(VIEWS_DIFF.encode())))
    assert run_json(capsys, "--diff", "-")[:2] == (1, [("app/views.py", 13)])


def test_diff_text_output_counts_the_changed_files(project, capsys):
    status = main(["check", "--diff", "changes.diff"])
    out = capsys.readouterr().out
    assert status == 1
    assert out.endswith("Found 1 finding (0 error, 1 warning, 0 info) in 1 file.\n")


def test_paths_limit_the_changed_files(project, capsys):
    (project / "lib").mkdir()
    assert run_json(capsys, "--diff", "changes.diff", "lib")[:2] == (0, [])
    assert run_json(capsys, "--diff", "changes.diff", "app")[:2] == (1, [("app/views.py", 13)])
    assert run_json(capsys, "--diff", "changes.diff", "app/views.py")[:2] == (1, [("app/views.py", 13)])


def test_changed_file_missing_from_the_working_tree_is_an_error_not_a_stop(project, capsys):
    (project / "app" / "views.py").unlink()
    status, findings, errors, _ = run_json(capsys, "--diff", "changes.diff")
    assert (status, findings) == (0, [])
    assert errors == [{"path": "app/views.py", "kind": "skipped",
                       "message": "cannot read: No such file or directory"}]


def test_unreadable_or_invalid_diff_is_a_usage_error(project, capsys):
    assert main(["check", "--diff", "missing.diff"]) == 2
    assert capsys.readouterr().err == "reviewbot: error: missing.diff: cannot read the diff: No such file or directory\n"
    (project / "bad.diff").write_text("this is not a diff\n")
    assert main(["check", "--diff", "bad.diff"]) == 2
    assert capsys.readouterr().err.startswith("reviewbot: error: --diff: not a unified diff")


def test_diff_and_git_exclude_each_other(project, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["check", "--diff", "changes.diff", "--git", "HEAD"])
    assert stop.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_diff_paths_are_relative_to_the_repository_root_when_the_project_is_below_it(tmp_path, monkeypatch,
                                                                                      capsys):
    (tmp_path / ".git").mkdir()
    service = tmp_path / "service"
    (service / "app").mkdir(parents=True)
    (service / "app" / "views.py").write_text(VIEWS)
    (service / "pyproject.toml").write_text("[tool.reviewbot]\nselect = ['RB203']\n")
    (tmp_path / "changes.diff").write_text(VIEWS_DIFF.replace("app/views.py", "service/app/views.py"))
    monkeypatch.chdir(service)
    assert run_json(capsys, "--diff", "../changes.diff")[:2] == (1, [("app/views.py", 13)])


# ------------------------------------------------------------------------------- --git

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "HOME": str(root)}
    completed = subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                               cwd=root, env=env, capture_output=True, text=True, check=True)
    return completed.stdout


@pytest.fixture
def repository(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    git(root, "init", "-q")
    (root / "pyproject.toml").write_text("[tool.reviewbot]\nselect = ['RB203']\n")
    (root / "app" / "views.py").write_text(VIEWS.replace("    return requests.get('https://c')\n", ""))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    monkeypatch.chdir(root)
    return root


def test_git_working_tree_against_base(repository, capsys):
    (repository / "app" / "views.py").write_text(VIEWS)
    assert run_json(capsys, "--git", "HEAD")[:3] == (1, [("app/views.py", 13)], [])
    assert run_json(capsys, "--git", "HEAD", "--filter", "file")[1] == [
        ("app/views.py", 5), ("app/views.py", 12), ("app/views.py", 13)]


def test_git_range_reads_the_files_as_committed(repository, capsys):
    git(repository, "checkout", "-qb", "feature")
    (repository / "app" / "views.py").write_text(VIEWS)
    git(repository, "commit", "-qam", "call c")
    # The working tree moves on; the committed version (line 13) is what is analysed.
    (repository / "app" / "views.py").write_text("\n\n\n" + VIEWS)
    assert run_json(capsys, "--git", "main..feature")[:3] == (1, [("app/views.py", 13)], [])
    assert run_json(capsys, "--git", "main..")[:3] == (1, [("app/views.py", 13)], [])
    assert run_json(capsys, "--git", "main...HEAD")[:3] == (1, [("app/views.py", 13)], [])
    # Against the working tree, the three new lines at the top are changes too.
    assert run_json(capsys, "--git", "main")[1] == [("app/views.py", 16)]


def test_git_in_a_project_below_the_repository_root(repository, capsys, monkeypatch):
    service = repository / "service"
    (service / "app").mkdir(parents=True)
    (service / "pyproject.toml").write_text("[tool.reviewbot]\nselect = ['RB203']\n")
    (service / "app" / "api.py").write_text("import requests\n")
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", "service")
    (service / "app" / "api.py").write_text("import requests\nrequests.get('u')\n")
    (repository / "app" / "views.py").write_text(VIEWS)  # outside the service: not its business
    monkeypatch.chdir(service)
    assert run_json(capsys, "--git", "HEAD")[:3] == (1, [("app/api.py", 2)], [])


def test_git_errors_are_usage_errors(repository, capsys, tmp_path):
    assert main(["check", "--git", "nope..HEAD"]) == 2
    assert capsys.readouterr().err.startswith("reviewbot: error: git: fatal: ")
    assert main(["check", "--git=--output=/tmp/x"]) == 2
    assert capsys.readouterr().err == "reviewbot: error: --git: not a revision: '--output=/tmp/x'\n"
    assert main(["check", "--git", "..HEAD"]) == 2
    assert capsys.readouterr().err == "reviewbot: error: --git: no base revision in '..HEAD'\n"


def test_removed_and_non_python_files_are_not_analysed(repository, capsys):
    (repository / "notes.txt").write_text("requests.get('u')\n")
    git(repository, "add", "-A")
    git(repository, "commit", "-qm", "notes")
    git(repository, "rm", "-q", "app/views.py")
    (repository / "notes.txt").write_text("requests.get('v')\n")
    assert run_json(capsys, "--git", "HEAD") == (0, [], [], "")


# --------------------------------------------------------------------------- model index


def test_model_index_covers_the_whole_project_not_only_the_changed_files(tmp_path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "models.py").write_text(
        "from django.db import models\n\n\nclass Customer(models.Model):\n    name = models.TextField()\n\n\n"
        "class Order(models.Model):\n    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)\n"
    )
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "models.py").write_text(
        "from django.db import models\n\n\nclass Vendored(models.Model):\n"
        "    owner = models.ForeignKey('Customer', on_delete=models.CASCADE)\n"
    )
    changed = {"shop/views.py": b"from shop.models import Order\n"}
    project = Project(tmp_path.resolve())
    assert set(model_sources(project, Config(), changed)) == {"shop/models.py"}
    index = project_models(project, Config(), changed)
    relation = index.relation("Order", "customer")
    assert relation is not None and relation.target == "Customer"
    assert index.relation("Vendored", "owner") is None
    excluded = project_models(project, Config(exclude=("shop/models.py",)), changed)
    assert excluded.relation("Order", "customer") is None
