"""Celery tasks with requests: enrich signups with company and IP data."""

from __future__ import annotations

import requests
from celery import shared_task

from crm.storage import save_enrichment

COMPANY_API = "https://companies.example.com/v1/lookup"
IP_API = "https://ipinfo.example.com"


@shared_task(rate_limit="10/m")
def enrich_companies(domains: list[str]) -> int:
    found = 0
    with requests.Session() as session:
        session.headers["Accept"] = "application/json"
        for domain in domains:
            response = session.get(COMPANY_API, params={"domain": domain}, timeout=10)
            if response.ok:
                save_enrichment(domain, response.json())
                found += 1
    return found


@shared_task
def enrich_ips(ip_addresses: list[str]) -> dict[str, str]:
    countries = {}
    for ip in ip_addresses:
        response = requests.get(f"{IP_API}/{ip}/json", timeout=5)  # expect: RB303
        if response.ok:
            countries[ip] = response.json().get("country", "")
    return countries
