"""Django cache framework: cached fragments of the dashboard and permissions."""

from __future__ import annotations

from functools import lru_cache

from django.core.cache import cache

from accounts.models import Permission, Team
from dashboards.services import build_widget


def dashboard_widget(user_id: int, widget: str) -> dict:
    key = f"widget:{user_id}:{widget}"
    data = cache.get(key)
    if data is None:
        data = build_widget(user_id, widget)
        cache.set(key, data)
    return data


def remember_last_seen(user_id: int, when: str) -> None:
    cache.set(f"last-seen:{user_id}", when, timeout=None)  # expect: RB301


def team_names() -> list[str]:
    return cache.get_or_set("team-names", lambda: list(Team.objects.values_list("name", flat=True)[:500]), 600)


@lru_cache(maxsize=None)  # expect: RB302
def permissions_for(user_id: int) -> frozenset[str]:
    return frozenset(Permission.objects.filter(users__id=user_id).values_list("codename", flat=True))


@lru_cache(maxsize=None)
def currency_symbol(currency_code: str) -> str:
    return {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}.get(currency_code, currency_code)


def invalidate_widget(user_id: int, widget: str) -> None:
    cache.delete(f"widget:{user_id}:{widget}")
