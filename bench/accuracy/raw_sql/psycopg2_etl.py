"""Celery task with psycopg2: nightly load of partner sales files into the warehouse."""

from __future__ import annotations

import csv
import logging
import os

import psycopg2
import psycopg2.extras
from celery import shared_task

logger = logging.getLogger(__name__)
DSN = os.environ.get("WAREHOUSE_DSN", "dbname=warehouse")


def parse_rows(path: str) -> list[tuple]:
    with open(path, newline="") as handle:
        return [
            (row["partner"], row["sku"], int(row["units"]), row["sold_on"])
            for row in csv.DictReader(handle)
        ]


@shared_task
def load_partner_sales(path: str) -> int:
    rows = parse_rows(path)
    conn = psycopg2.connect(DSN)  # expect: RB303
    try:
        with conn, conn.cursor() as cur:
            psycopg2.extras.execute_values(
                cur,
                "INSERT INTO partner_sales (partner, sku, units, sold_on) VALUES %s",
                rows,
                page_size=1000,
            )
            cur.execute("SELECT sku FROM partner_sales WHERE sold_on = current_date - 1 GROUP BY sku")
            skus = cur.fetchall()
            logger.info("loaded %s rows for %s skus", len(rows), len(skus))  # expect: RB103
    finally:
        conn.close()
    return len(rows)


@shared_task
def load_returns(path: str) -> int:
    rows = parse_rows(path)
    conn = psycopg2.connect(DSN)
    try:
        with conn, conn.cursor() as cur:
            for partner, sku, units, sold_on in rows:
                cur.execute(  # expect: RB102
                    "UPDATE partner_sales SET units = units - %s WHERE partner = %s AND sku = %s AND sold_on = %s",
                    (units, partner, sku, sold_on),
                )
    finally:
        conn.close()
    return len(rows)


@shared_task
def refresh_partner_totals() -> None:
    conn = psycopg2.connect(DSN)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT id, code FROM partners WHERE active")
            for partner_id, code in cur.fetchall():
                cur.execute(  # expect: RB101
                    "UPDATE partners SET units_total = (SELECT coalesce(sum(units), 0) FROM partner_sales "
                    "WHERE partner = %s) WHERE id = %s",
                    (code, partner_id),
                )
            cur.execute("SELECT * FROM partner_sales WHERE units < 0")
            negative = len(cur.fetchall())  # expect: RB103
            if negative:
                logger.warning("%s sales rows went negative", negative)
    finally:
        conn.close()
