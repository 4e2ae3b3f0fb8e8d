"""Flask-SQLAlchemy services: scheduled publishing and moderation, run from the CLI and cron."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import update

from .models import Comment, Post, db


def publish_due_posts(now: datetime | None = None) -> int:
    now = now or datetime.now(timezone.utc)
    result = db.session.execute(
        update(Post).where(Post.published.is_(False), Post.publish_at <= now).values(published=True)
    )
    db.session.commit()
    return result.rowcount


def unpublish(post_ids: list[int]) -> None:
    for post_id in post_ids:
        post = db.session.get(Post, post_id)  # expect: RB102
        if post is not None:
            post.published = False
    db.session.commit()


def purge_spam(comment_ids: list[int]) -> int:
    deleted = Comment.query.filter(Comment.id.in_(comment_ids)).delete(synchronize_session=False)
    db.session.commit()
    return deleted


def comment_counts(post_ids: list[int]) -> dict[int, int]:
    from sqlalchemy import func

    rows = (
        db.session.query(Comment.post_id, func.count(Comment.id))
        .filter(Comment.post_id.in_(post_ids))
        .group_by(Comment.post_id)
        .all()
    )
    return dict(rows)
