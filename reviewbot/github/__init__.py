"""The GitHub adapter: App authentication, reading pull requests and their files, and publishing
one review with inline comments and one check run per head commit."""

from reviewbot.github.auth import DEFAULT_API_URL, ClientOptions, GitHubApp
from reviewbot.github.check_runs import CHECK_NAME, annotations_for, check_conclusion
from reviewbot.github.client import (
    GitHubPullRequestClient,
    PullRequestDetails,
    PullRequestFile,
    RepoConfigFiles,
)
from reviewbot.github.contents import BlobCache, BlobRequest, FetchedContents
from reviewbot.github.repository import RepositoryGitHubClient, TransientGitHubError
from reviewbot.github.reviews import PostedReview
from reviewbot.github.threads import ExistingMarkers, PostedSummary, PostedThread, ResolveOutcome
from reviewbot.github.transport import (
    ApiCallCounter,
    GitHubApiError,
    GitHubTransport,
    NotFound,
    RateLimited,
    RetryPolicy,
)
from reviewbot.render.review_plan import InlineComment, ReviewPlan, SummaryItem, SummaryReason, plan_review

__all__ = [
    "CHECK_NAME",
    "DEFAULT_API_URL",
    "ApiCallCounter",
    "BlobCache",
    "BlobRequest",
    "ClientOptions",
    "ExistingMarkers",
    "FetchedContents",
    "GitHubApiError",
    "GitHubApp",
    "GitHubPullRequestClient",
    "GitHubTransport",
    "InlineComment",
    "NotFound",
    "PostedReview",
    "PostedSummary",
    "PostedThread",
    "PullRequestDetails",
    "PullRequestFile",
    "RateLimited",
    "RepoConfigFiles",
    "RepositoryGitHubClient",
    "ResolveOutcome",
    "RetryPolicy",
    "ReviewPlan",
    "SummaryItem",
    "SummaryReason",
    "TransientGitHubError",
    "annotations_for",
    "check_conclusion",
    "plan_review",
]
