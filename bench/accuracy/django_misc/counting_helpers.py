"""Django ORM helpers used by the forum views to decide what to show."""

from __future__ import annotations

from django.db.models import Q

from forum.models import Membership, Post, Report, Thread


def thread_badge(thread: Thread) -> str:
    replies = len(Post.objects.filter(thread=thread, hidden=False))  # expect: RB103
    if replies > 100:
        return "hot"
    return "new" if replies == 0 else ""


def can_moderate(user, forum) -> bool:
    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user, forum=forum, role="moderator").exists()


def has_open_reports(post: Post) -> bool:
    return Report.objects.filter(post=post, resolved=False).count() > 0  # expect: RB103


def summarise_thread(thread: Thread) -> dict:
    posts = list(Post.objects.filter(thread=thread).order_by("created_at")[:500])
    authors = {post.author_id for post in posts}
    return {"posts": len(posts), "authors": len(authors), "first": posts[0].created_at if posts else None}


def search_hint(request) -> str:
    terms = request.GET.get("q", "").split()
    if len(terms) > 8:
        return "Try fewer words."
    return ""


def unanswered_threads(forum):
    return Thread.objects.filter(forum=forum, reply_count=0).exclude(Q(locked=True) | Q(hidden=True))[:20]


def needs_attention(forum) -> bool:
    flagged = Report.objects.filter(post__thread__forum=forum, resolved=False).count()
    return flagged >= 5
