"""Reading a pull request, its files and their contents from the fake GitHub."""

from __future__ import annotations

import pytest

from reviewbot.github import BlobRequest, ClientOptions, GitHubApiError, GitHubApp
from tests.fakegithub import FakeGitHub, git_blob_sha
from tests.fakegithub.fixtures import APP_ID, AppKey
from tests.github.builders import numbered_lines

REPO = "octo/shop"


@pytest.fixture
def repo(fake_github: FakeGitHub):
    return fake_github.add_repo(REPO)


def test_pull_request_details(repo, client) -> None:
    pull = repo.add_pull(3, {"a.py": "a = 1\n"}, {"a.py": "a = 2\n"}, title="Faster orders", draft=True,
                         head_repo=None)

    details = client.pull_request(REPO, 3)

    assert (details.number, details.head_sha, details.base_sha) == (3, pull.head_sha, pull.base_sha)
    assert (details.draft, details.title, details.state, details.changed_files) == (True, "Faster orders", "open", 1)
    assert details.head_repo is None and details.base_repo == REPO and details.is_fork


def test_a_missing_pull_request_is_a_github_error(repo, client) -> None:
    with pytest.raises(GitHubApiError) as raised:
        client.pull_request(REPO, 404)

    assert raised.value.status == 404 and not raised.value.is_transient


def test_changed_files_follow_every_page(fake_github, repo, client) -> None:
    head = {f"app/m{n:03}.py": f"x = {n}\n" for n in range(250)}
    repo.add_pull(1, {}, head)

    files = client.changed_files(REPO, 1)

    assert [f.path for f in files] == sorted(head)
    assert fake_github.count("GET", r"/pulls/1/files$") == 3
    assert all(call.query.get("per_page") == "100" for call in fake_github.calls if call.path.endswith("/files"))


def test_changed_files_stop_at_githubs_limit_of_3000(fake_github, repo, client) -> None:
    repo.add_pull(1, {}, {f"f{n:04}.py": f"x = {n}\n" for n in range(3100)})

    files = client.changed_files(REPO, 1)

    assert len(files) == 3000
    assert fake_github.count("GET", r"/pulls/1/files$") == 30
    assert client.pull_request(REPO, 1).changed_files == 3100


def test_removed_renamed_binary_and_patchless_files(repo, client) -> None:
    big_diff_old, big_diff_new = numbered_lines(50), numbered_lines(50, "y{n} = {n}")
    pull = repo.add_pull(
        1,
        {"gone.py": "a = 1\n", "old_name.py": "b = 1\nc = 2\n", "logo.png": b"\x89PNG\0\x01", "big.py": big_diff_old},
        {"new_name.py": "b = 1\nc = 3\n", "logo.png": b"\x89PNG\0\x02", "big.py": big_diff_new},
        renames={"new_name.py": "old_name.py"}, no_patch={"big.py"})

    files = {f.path: f for f in client.changed_files(REPO, 1)}

    assert files["gone.py"].status == "removed" and files["gone.py"].patch == "@@ -1 +0,0 @@\n-a = 1"
    assert not files["gone.py"].diff.is_commentable(1)
    renamed = files["new_name.py"]
    assert (renamed.status, renamed.previous_path) == ("renamed", "old_name.py")
    assert renamed.diff.is_commentable(2) and renamed.additions == 1 and renamed.deletions == 1
    assert files["logo.png"].patch is None and files["logo.png"].diff.hunks == ()
    assert files["big.py"].patch is None and not files["big.py"].diff.is_commentable(1)
    assert files["big.py"].blob_sha == git_blob_sha(big_diff_new.encode())
    assert "old_name.py" not in files
    assert pull.file("big.py")["additions"] == 0  # GitHub shows no patch, so the fake counts none


def test_file_contents_come_in_graphql_batches(fake_github, repo, client) -> None:
    head = {f"app/m{n:03}.py": f"value = {n}\n" for n in range(120)}
    pull = repo.add_pull(1, {}, head)
    files = client.changed_files(REPO, 1)
    fake_github.reset_calls()

    fetched = client.file_contents(REPO, pull.head_sha, files)

    assert fetched.files == {path: data.encode() for path, data in head.items()}
    assert fetched.skipped == {}
    assert fake_github.count("POST", "/graphql") == 3  # 50 + 50 + 20
    assert fake_github.api_calls() == 3


def test_cached_blobs_are_not_fetched_again(fake_github, github_app, repo) -> None:
    pull = repo.add_pull(1, {}, {"a.py": "a = 1\n", "b.py": "b = 1\n"})
    first = github_app.pull_request_client(1)
    first.file_contents(REPO, pull.head_sha, first.changed_files(REPO, 1))
    second = github_app.pull_request_client(1)
    files = second.changed_files(REPO, 1)
    fake_github.reset_calls()

    fetched = second.file_contents(REPO, pull.head_sha, files)

    assert fetched.files == {"a.py": b"a = 1\n", "b.py": b"b = 1\n"}
    assert fake_github.api_calls() == 0


def test_a_file_too_large_for_graphql_comes_from_the_blob_api(fake_github, repo, client) -> None:
    fake_github.graphql_text_limit = 1000
    large = numbered_lines(500).encode()
    pull = repo.add_pull(1, {}, {"app/large.py": large, "app/small.py": "s = 1\n"})
    files = client.changed_files(REPO, 1)

    fetched = client.file_contents(REPO, pull.head_sha, files)

    assert fetched.files == {"app/large.py": large, "app/small.py": b"s = 1\n"}
    assert fake_github.count("GET", r"/git/blobs/") == 1
    assert fake_github.count("GET", r"/contents/") == 0


def test_text_that_is_not_the_exact_bytes_comes_from_the_blob_api(fake_github, repo, client) -> None:
    latin1 = "name = 'caf\xe9'\n".encode("latin-1")
    pull = repo.add_pull(1, {}, {"app/legacy.py": latin1})

    fetched = client.file_contents(REPO, pull.head_sha, client.changed_files(REPO, 1))

    assert fetched.files == {"app/legacy.py": latin1}
    assert fake_github.count("GET", r"/git/blobs/") == 1


def test_without_graphql_files_come_from_the_contents_api_and_blobs_above_1_mb(fake_github, github_app,
                                                                               recorded_sleeps, repo) -> None:
    huge = numbered_lines(120_000).encode()
    assert len(huge) > 1024 * 1024
    pull = repo.add_pull(1, {}, {"app/huge.py": huge, "app/small.py": "s = 1\n"})
    fake_github.inject("POST", "/graphql", 502, times=4)
    client = github_app.pull_request_client(1)

    fetched = client.file_contents(REPO, pull.head_sha, ["app/huge.py", "app/small.py", "app/missing.py"])

    assert fetched.files == {"app/huge.py": huge, "app/small.py": b"s = 1\n"}
    assert fetched.skipped == {"app/missing.py": "not found"}
    assert fake_github.count("GET", r"/contents/") == 3
    assert fake_github.count("GET", r"/git/blobs/") == 1  # only the file above 1 MB
    assert recorded_sleeps == [1.0, 2.0, 4.0]  # the GraphQL query was retried before falling back


def test_binary_missing_and_oversized_files_are_skipped_with_a_reason(repo, client) -> None:
    pull = repo.add_pull(1, {}, {"app/data.py": b"\0\1\2", "app/big.py": numbered_lines(300), "app/ok.py": "a = 1\n"})

    fetched = client.file_contents(REPO, pull.head_sha, ["app/data.py", "app/big.py", "app/ok.py", "app/nope.py"],
                                   max_bytes=1000)

    assert fetched.files == {"app/ok.py": b"a = 1\n"}
    assert fetched.skipped["app/data.py"] == "binary"
    assert fetched.skipped["app/nope.py"] == "not found"
    assert fetched.skipped["app/big.py"].startswith("larger than 1000 bytes")


def test_removed_files_are_not_fetched(fake_github, repo, client) -> None:
    pull = repo.add_pull(1, {"gone.py": "a = 1\n"}, {})
    files = client.changed_files(REPO, 1)
    fake_github.reset_calls()

    assert client.file_contents(REPO, pull.head_sha, files).files == {}
    assert fake_github.api_calls() == 0


def test_config_files_in_one_request(fake_github, repo, client) -> None:
    pull = repo.add_pull(1, {}, {"pyproject.toml": "[tool.reviewbot]\nselect = ['RB1']\n", "a.py": "a = 1\n"})
    fake_github.reset_calls()

    files = client.config_files(REPO, pull.head_sha)
    config = client.repo_config(REPO, pull.head_sha)

    assert files == {"pyproject.toml": b"[tool.reviewbot]\nselect = ['RB1']\n"}
    assert (config.reviewbot_toml, config.pyproject_toml) == (None, "[tool.reviewbot]\nselect = ['RB1']\n")
    assert fake_github.count("POST", "/graphql") == 2


def test_model_sources_come_from_one_tree_listing(fake_github, repo, client) -> None:
    sources = {
        "shop/models.py": "class Order: ...\n",
        "shop/models/customer.py": "class Customer: ...\n",
        "billing/invoice_models.py": "class Invoice: ...\n",
        "core/db/tables.py": "orders = ...\n",
        "core/entities.py": "class Entity: ...\n",
        "shop/views.py": "def index(): ...\n",
        "tests/test_models.py": "def test(): ...\n",
        "shop/migrations/0001_models.py": "operations = []\n",
        "docs/models.md": "# models\n",
    }
    pull = repo.add_pull(1, {}, sources)
    fake_github.reset_calls()

    models = client.model_sources(REPO, pull.head_sha, exclude={"core/entities.py"})

    assert sorted(models) == ["billing/invoice_models.py", "core/db/tables.py", "shop/models.py",
                              "shop/models/customer.py"]
    assert models["shop/models.py"] == b"class Order: ...\n"
    assert fake_github.count("GET", r"/git/trees/") == 1
    assert fake_github.count("POST", "/graphql") == 1


def test_model_sources_are_capped(repo, client) -> None:
    pull = repo.add_pull(1, {}, {f"app{n:03}/models.py": f"x = {n}\n" for n in range(30)})

    assert len(client.model_sources(REPO, pull.head_sha, limit=10)) == 10


def test_collaborator_permission(repo, client) -> None:
    repo.collaborators.update({"admin-user": "admin", "writer": "write", "maintainer": "maintain"})

    assert client.collaborator_permission(REPO, "admin-user") == "admin"
    assert client.collaborator_permission(REPO, "writer") == "write"
    assert client.collaborator_permission(REPO, "maintainer") == "maintain"
    assert client.collaborator_permission(REPO, "stranger") == "none"


def test_add_reaction(fake_github, repo, client) -> None:
    comment = fake_github.add_issue_comment(repo, 1, "/perfcheck")

    client.add_reaction(REPO, comment["id"], "eyes")

    assert [(r["comment_id"], r["content"]) for r in repo.reactions] == [(comment["id"], "eyes")]
    with pytest.raises(ValueError):
        client.add_reaction(REPO, comment["id"], "party")


def test_the_installation_token_is_fetched_once_and_shared(fake_github, github_app, repo) -> None:
    repo.add_pull(1, {"a.py": "a = 1\n"}, {"a.py": "a = 2\n"})

    github_app.pull_request_client(1).pull_request(REPO, 1)
    github_app.pull_request_client(1).pull_request(REPO, 1)

    assert fake_github.count("POST", r"/access_tokens$") == 1


def test_a_jwt_signed_with_another_key_is_refused(fake_github, repo) -> None:
    from tests.fakegithub.fixtures import generate_app_key

    repo.add_pull(1, {"a.py": "a = 1\n"}, {"a.py": "a = 2\n"})
    stranger = GitHubApp(APP_ID, generate_app_key().private_pem, api_url=fake_github.base_url,
                         options=ClientOptions(seconds_between_requests=0, seconds_between_writes=0))

    with pytest.raises(GitHubApiError) as raised:
        stranger.pull_request_client(1).pull_request(REPO, 1)

    assert raised.value.status == 401


def test_the_app_finds_the_installation_of_a_repository(github_app, repo) -> None:
    assert github_app.installation_id(REPO) == 1
    assert github_app.bot_login() == "reviewbot[bot]"


def test_github_enterprise_server_urls(app_key: AppKey) -> None:
    fake = FakeGitHub(app_id=APP_ID, public_key=app_key.public_pem, prefix="/api/v3").start()
    try:
        repo = fake.add_repo(REPO)
        pull = repo.add_pull(1, {}, {"a.py": "a = 1\n"})
        app = GitHubApp(APP_ID, app_key.private_pem, api_url=fake.base_url,
                        options=ClientOptions(seconds_between_requests=0, seconds_between_writes=0))
        client = app.pull_request_client(1)

        files = client.changed_files(REPO, 1)
        fetched = client.file_contents(REPO, pull.head_sha, files)

        assert fetched.files == {"a.py": b"a = 1\n"}
        assert client.api.graphql_url == f"{fake.origin}/api/graphql"
        assert fake.count("POST", "/graphql") == 1
    finally:
        fake.stop()

    ghes = GitHubApp(APP_ID, app_key.private_pem, api_url="https://github.example.com/api/v3/")
    assert ghes.transport(1).graphql_url == "https://github.example.com/api/graphql"


def test_blob_requests_with_a_known_sha_skip_graphql_when_cached(fake_github, github_app, repo) -> None:
    pull = repo.add_pull(1, {}, {"a.py": "a = 1\n"})
    client = github_app.pull_request_client(1)
    client.file_contents(REPO, pull.head_sha, ["a.py"])
    fake_github.reset_calls()

    fetched = client.file_contents(REPO, pull.head_sha, [BlobRequest("a.py", git_blob_sha(b"a = 1\n"))])

    assert fetched.files == {"a.py": b"a = 1\n"} and fake_github.api_calls() == 0


def test_a_token_about_to_expire_is_renewed(fake_github, github_app, repo) -> None:
    repo.add_pull(1, {"a.py": "a = 1\n"}, {"a.py": "a = 2\n"})
    fake_github.token_lifetime = 10  # inside PyGithub's 20-second renewal margin
    client = github_app.pull_request_client(1)

    client.pull_request(REPO, 1)
    client.pull_request(REPO, 1)

    assert fake_github.count("POST", r"/access_tokens$") == 2


def test_a_jwt_naming_another_app_is_refused(fake_github, app_key: AppKey, repo) -> None:
    repo.add_pull(1, {"a.py": "a = 1\n"}, {"a.py": "a = 2\n"})
    other = GitHubApp("9999", app_key.private_pem, api_url=fake_github.base_url,
                      options=ClientOptions(seconds_between_requests=0, seconds_between_writes=0))

    with pytest.raises(GitHubApiError) as raised:
        other.pull_request_client(1).pull_request(REPO, 1)

    assert raised.value.status == 401


CARD = "---\nid: caching\ntitle: Our cache policy\n---\n\nEvery key has a TTL.\n"


def test_a_directory_of_cards_is_read_in_one_listing_and_one_batch(fake_github, repo, client) -> None:
    pull = repo.add_pull(1, {}, {
        ".reviewbot/rules/cache.md": CARD, ".reviewbot/rules/http.md": "---\nid: http\n---\n",
        ".reviewbot/rules/notes.txt": "not a card", ".reviewbot/rules/drafts/wip.md": "in a subdirectory",
        ".reviewbot/other.md": "outside", "app.py": "a = 1\n"})
    fake_github.reset_calls()

    fetched = client.directory_files(REPO, pull.base_sha, ".reviewbot/rules", suffix=".md")
    assert fetched.files == {} and fetched.skipped == {}  # the base commit has no such directory
    fetched = client.directory_files(REPO, pull.head_sha, ".reviewbot/rules/", suffix=".md")

    assert fetched.files == {".reviewbot/rules/cache.md": CARD.encode(),
                             ".reviewbot/rules/http.md": b"---\nid: http\n---\n"}
    assert fetched.skipped == {}
    assert fake_github.count("GET", r"/contents/\.reviewbot/rules$") == 2
    assert fake_github.count("POST", "/graphql") == 1
    assert client.api_calls.by_endpoint["repos.contents"] == 2
    assert client.api_calls.by_endpoint["graphql.blobs"] == 1


def test_cards_already_fetched_cost_only_the_listing(fake_github, repo, client) -> None:
    pull = repo.add_pull(1, {}, {"rules/cache.md": CARD})
    client.directory_files(REPO, pull.head_sha, "rules", suffix=".md")
    fake_github.reset_calls()

    assert client.directory_files(REPO, pull.head_sha, "rules", suffix=".md").files == {"rules/cache.md": CARD.encode()}
    assert fake_github.api_calls() == 1


def test_a_file_path_oversized_and_surplus_cards_are_not_read(repo, client) -> None:
    files = {f"rules/c{n}.md": CARD for n in range(4)}
    pull = repo.add_pull(1, {}, {**files, "rules/huge.md": "x" * 2000, "README.md": "# readme\n"})

    assert client.directory_files(REPO, pull.head_sha, "README.md", suffix=".md").files == {}
    fetched = client.directory_files(REPO, pull.head_sha, "rules", suffix=".md", limit=3, max_bytes=1000)

    assert sorted(fetched.files) == ["rules/c0.md", "rules/c1.md", "rules/c2.md"]
    assert fetched.skipped == {"rules/c3.md": "more than 3 files in the directory",
                               "rules/huge.md": "larger than 1000 bytes (2000 bytes)"}
