"""Settings from the environment: defaults, validation, and one line naming a bad variable."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from reviewbot.settings import DEFAULT_API_URL, SettingsError, load_settings

VARIABLES = ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_PRIVATE_KEY_PATH", "GITHUB_WEBHOOK_SECRET",
             "GITHUB_API_URL", "REVIEWBOT_DATA_DIR", "REVIEWBOT_DATABASE_URL", "REVIEWBOT_QUEUE_URL",
             "REVIEWBOT_WORKERS", "REVIEWBOT_MAX_ATTEMPTS", "REVIEWBOT_RETRY_DELAY")


def pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def rsa_pem():
    return pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture
def env(monkeypatch, tmp_path, rsa_pem):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    values = {"GITHUB_APP_ID": "12345", "GITHUB_PRIVATE_KEY": rsa_pem, "GITHUB_WEBHOOK_SECRET": "s3cret",
              "REVIEWBOT_DATA_DIR": str(tmp_path / "data")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def error_for(**changes) -> str:
    with pytest.raises(SettingsError) as error:
        load_settings(**changes)
    return str(error.value)


def test_defaults(env, tmp_path):
    settings = load_settings()
    assert settings.app_id == "12345"
    assert settings.api_url == DEFAULT_API_URL
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'reviewbot.db'}"
    assert settings.queue_url == f"sqlite:///{tmp_path / 'data' / 'queue.db'}"
    assert settings.private_key_pem().startswith("-----BEGIN PRIVATE KEY-----")
    assert (tmp_path / "data").is_dir()


def test_everything_can_be_set(env, tmp_path, rsa_pem):
    key_file = tmp_path / "app.pem"
    key_file.write_text(rsa_pem)
    env.delenv("GITHUB_PRIVATE_KEY")
    env.setenv("GITHUB_PRIVATE_KEY_PATH", str(key_file))
    env.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3/")
    env.setenv("REVIEWBOT_DATABASE_URL", "postgresql://reviewbot@db/reviewbot")
    env.setenv("REVIEWBOT_QUEUE_URL", "redis://cache:6379/1")
    env.setenv("REVIEWBOT_WORKERS", "4")
    settings = load_settings()
    assert settings.api_url == "https://ghe.example.com/api/v3"
    assert settings.database_url == "postgresql+psycopg://reviewbot@db/reviewbot"
    assert settings.queue_url == "redis://cache:6379/1"
    assert settings.workers == 4
    assert settings.private_key_pem() == rsa_pem


def test_a_dotenv_file_is_read(env, tmp_path):
    env.delenv("GITHUB_WEBHOOK_SECRET")
    (tmp_path / ".env").write_text("GITHUB_WEBHOOK_SECRET=from-dotenv\nUNRELATED=1\n")
    assert load_settings().webhook_secret.get_secret_value() == "from-dotenv"


def test_an_escaped_one_line_pem_is_accepted(env, rsa_pem):
    env.setenv("GITHUB_PRIVATE_KEY", rsa_pem.strip().replace("\n", "\\n"))
    assert load_settings().private_key_pem() == rsa_pem


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        ("GITHUB_APP_ID", "GITHUB_APP_ID is not set"),
        ("GITHUB_WEBHOOK_SECRET", "GITHUB_WEBHOOK_SECRET is not set"),
        ("GITHUB_PRIVATE_KEY",
         "GITHUB_PRIVATE_KEY is not set (or set GITHUB_PRIVATE_KEY_PATH to the App's .pem file)"),
    ],
)
def test_a_missing_setting_names_its_variable(env, variable, message):
    env.delenv(variable)
    assert error_for() == message


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("GITHUB_APP_ID", "12 34", "GITHUB_APP_ID must be the App's numeric ID or its client ID"),
        ("GITHUB_WEBHOOK_SECRET", "", "GITHUB_WEBHOOK_SECRET must not be empty"),
        ("GITHUB_PRIVATE_KEY", "not a key", "GITHUB_PRIVATE_KEY is not a PEM-encoded private key"),
        ("GITHUB_PRIVATE_KEY_PATH", "/nonexistent/app.pem",
         "GITHUB_PRIVATE_KEY_PATH cannot read /nonexistent/app.pem: No such file or directory"),
        ("GITHUB_API_URL", "api.github.com",
         "GITHUB_API_URL must be an http(s) URL such as https://api.github.com or https://HOST/api/v3"),
        ("REVIEWBOT_DATABASE_URL", "mysql://db/reviewbot",
         "REVIEWBOT_DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL"),
        ("REVIEWBOT_QUEUE_URL", "amqp://rabbit",
         "REVIEWBOT_QUEUE_URL must be redis://HOST:PORT/DB or sqlite:///PATH (unset: the embedded queue)"),
        ("REVIEWBOT_WORKERS", "many",
         "REVIEWBOT_WORKERS: Input should be a valid integer, unable to parse string as an integer"),
        ("REVIEWBOT_WORKERS", "0", "REVIEWBOT_WORKERS: Input should be greater than or equal to 1"),
    ],
)
def test_a_malformed_setting_names_its_variable(env, variable, value, message):
    env.setenv(variable, value)
    assert error_for() == message


def test_a_non_rsa_key_is_refused(env):
    env.setenv("GITHUB_PRIVATE_KEY", pem(ec.generate_private_key(ec.SECP256R1())))
    assert error_for() == "GITHUB_PRIVATE_KEY is not an RSA private key (GitHub Apps sign with RS256)"


def test_secrets_never_appear_in_errors(env):
    env.setenv("GITHUB_PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n")
    env.setenv("GITHUB_APP_ID", "bad id")
    message = error_for()
    assert "c2VjcmV0" not in message and "bad id" not in message
    assert message == ("GITHUB_APP_ID must be the App's numeric ID or its client ID; "
                       "GITHUB_PRIVATE_KEY is not a PEM-encoded private key")


def test_an_uncreatable_data_dir_is_named(env, tmp_path):
    (tmp_path / "file").write_text("")
    env.setenv("REVIEWBOT_DATA_DIR", str(tmp_path / "file" / "data"))
    assert error_for().startswith("REVIEWBOT_DATA_DIR: cannot create ")


@pytest.mark.parametrize("command", ["serve_command", "worker_command"])
def test_start_up_stops_with_one_line_naming_the_variable(tmp_path, command):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY": "x"}
    script = f"import argparse, reviewbot.app.cli as c; c.{command}(argparse.Namespace(host=None, port=None))"
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "reviewbot: configuration error: GITHUB_PRIVATE_KEY is not a PEM-encoded private key; "
        "GITHUB_WEBHOOK_SECRET is not set"]



def test_an_unreachable_database_stops_start_up_with_one_line(tmp_path, rsa_pem):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY": rsa_pem,
           "GITHUB_WEBHOOK_SECRET": "s", "REVIEWBOT_DATA_DIR": str(tmp_path / "data"),
           "REVIEWBOT_DATABASE_URL": "postgresql+psycopg://reviewbot@127.0.0.1:1/reviewbot?connect_timeout=2"}
    script = "import argparse, reviewbot.app.cli as c; c.worker_command(argparse.Namespace())"
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("reviewbot: REVIEWBOT_DATABASE_URL: cannot open the state database: ")
