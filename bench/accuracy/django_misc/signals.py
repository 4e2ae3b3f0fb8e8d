"""Django signal receivers: counters, cache invalidation and search sync for the forum."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from forum.models import Post, Thread
from forum.search import enqueue_reindex


@receiver(post_save, sender=Post)
def bump_reply_count(sender, instance: Post, created: bool, **kwargs) -> None:
    if not created:
        return
    Thread.objects.filter(pk=instance.thread_id).update(reply_count=F("reply_count") + 1, last_post_at=instance.created_at)
    cache.delete_many([f"thread:{instance.thread_id}", f"forum-index:{instance.forum_id}"])
    transaction.on_commit(lambda: enqueue_reindex.delay("post", instance.pk))


@receiver(post_delete, sender=Post)
def drop_reply_count(sender, instance: Post, **kwargs) -> None:
    Thread.objects.filter(pk=instance.thread_id).update(reply_count=F("reply_count") - 1)
    cache.delete(f"thread:{instance.thread_id}")


@receiver(m2m_changed, sender=Thread.tags.through)
def retag(sender, instance: Thread, action: str, pk_set, **kwargs) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    cache.delete(f"thread:{instance.pk}")
    transaction.on_commit(lambda: enqueue_reindex.delay("thread", instance.pk))


def thread_summary(thread_id: int) -> dict:
    key = f"thread:{thread_id}"
    summary = cache.get(key)
    if summary is None:
        thread = Thread.objects.select_related("forum", "author").get(pk=thread_id)
        summary = {
            "title": thread.title,
            "forum": thread.forum.name,
            "author": thread.author.username,
            "replies": thread.reply_count,
        }
        cache.set(key, summary, timeout=900)
    return summary
