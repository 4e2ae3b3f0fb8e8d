from __future__ import annotations

import pytest

from reviewbot.config import Config, ConfigError
from reviewbot.findings import Severity
from reviewbot.jobs.repo_config import config_from_files


def test_no_config_file_means_the_defaults():
    assert config_from_files({}) == Config()


def test_pyproject_without_a_reviewbot_table_means_the_defaults():
    assert config_from_files({"pyproject.toml": b'[project]\nname = "shop"\n'}) == Config()


def test_pyproject_tool_table_is_read():
    config = config_from_files({"pyproject.toml": b'[tool.reviewbot]\nignore = ["RB203"]\n'})
    assert config.ignore == frozenset({"RB203"})


def test_reviewbot_toml_takes_top_level_keys_and_wins_over_pyproject():
    config = config_from_files({
        ".reviewbot.toml": b'[severity]\nRB203 = "error"\n[app]\nreview-drafts = true\n',
        "pyproject.toml": b'[tool.reviewbot]\nignore = ["RB203"]\n',
    })
    assert config.severity == {"RB203": Severity.ERROR}
    assert config.app.review_drafts and config.ignore == frozenset()


def test_reviewbot_toml_may_use_the_tool_table_too():
    config = config_from_files({".reviewbot.toml": b'[tool.reviewbot]\nexclude = ["migrations/**"]\n'})
    assert config.exclude == ("migrations/**",)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({".reviewbot.toml": b"select = [\n"}, ".reviewbot.toml: not valid TOML: "),
        ({"pyproject.toml": b"\xff\xfe"}, "pyproject.toml: not UTF-8 text"),
        ({"pyproject.toml": b'[tool]\nreviewbot = "on"\n'}, "pyproject.toml: [tool.reviewbot] must be a table"),
        ({".reviewbot.toml": b"colour = 1\n"}, ".reviewbot.toml: [tool.reviewbot] unknown key 'colour'"),
        ({".reviewbot.toml": b'preview = true\n[tool.reviewbot]\nignore = []\n'},
         ".reviewbot.toml: settings must sit either at the top level or under [tool.reviewbot], not both "
         "(found top-level key 'preview')"),
    ],
)
def test_config_errors_name_the_file(files, message):
    with pytest.raises(ConfigError) as error:
        config_from_files(files)
    assert str(error.value).startswith(message)
