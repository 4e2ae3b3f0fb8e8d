"""requests: client of the payment provider, with retries and a default timeout."""

from __future__ import annotations

import logging

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (3.05, 20)


class TimeoutHTTPAdapter(HTTPAdapter):
    def __init__(self, *args, timeout=DEFAULT_TIMEOUT, **kwargs):
        self.timeout = timeout
        super().__init__(*args, **kwargs)

    def send(self, request, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().send(request, **kwargs)


def build_session(api_key: str) -> requests.Session:
    session = requests.Session()
    retries = Retry(total=3, backoff_factor=0.5, status_forcelist=(502, 503, 504), allowed_methods=None)
    adapter = TimeoutHTTPAdapter(max_retries=retries)
    session.mount("https://", adapter)
    session.headers["Authorization"] = f"Bearer {api_key}"
    return session


class PaymentGateway:
    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = build_session(api_key)

    def create_intent(self, amount_cents: int, currency: str, reference: str) -> dict:
        response = self.session.post(
            f"{self.base_url}/intents",
            json={"amount": amount_cents, "currency": currency, "reference": reference},
        )
        response.raise_for_status()
        return response.json()

    def intent(self, intent_id: str) -> dict:
        response = self.session.get(f"{self.base_url}/intents/{intent_id}")
        response.raise_for_status()
        return response.json()

    def refund(self, intent_id: str, amount_cents: int) -> dict:
        response = self.session.post(f"{self.base_url}/intents/{intent_id}/refunds", json={"amount": amount_cents})
        response.raise_for_status()
        return response.json()


def notify_accounting(webhook_url: str, event: dict) -> None:
    try:
        requests.post(webhook_url, json=event)  # expect: RB203
    except requests.RequestException:
        logger.exception("accounting webhook failed")
