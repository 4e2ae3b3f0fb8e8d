"""pymysql: reconcile a bank statement CSV with the payments table (run by a Celery task)."""

from __future__ import annotations

import csv
from decimal import Decimal

import pymysql
from celery import shared_task


def connect():
    return pymysql.connect(host="mysql", user="billing", database="billing", autocommit=False)


def read_statement(path: str) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@shared_task
def reconcile(statement_path: str) -> dict[str, int]:
    lines = read_statement(statement_path)
    conn = connect()
    matched = unmatched = 0
    try:
        with conn.cursor() as cur:
            for line in lines:
                cur.execute("SELECT value FROM settings WHERE name = 'bank_fee_rate'")  # expect: RB102
                fee_rate = Decimal(cur.fetchone()[0])
                amount = Decimal(line["amount"]) * (1 - fee_rate)
                cur.execute(  # expect: RB102
                    "UPDATE payments SET reconciled = 1 WHERE reference = %s AND amount = %s",
                    (line["reference"], amount),
                )
                if cur.rowcount:
                    matched += 1
                else:
                    unmatched += 1
        conn.commit()
    finally:
        conn.close()
    return {"matched": matched, "unmatched": unmatched}


@shared_task
def mark_reviewed(references: list[str]) -> int:
    conn = connect()
    try:
        with conn.cursor() as cur:
            cur.executemany("UPDATE payments SET reviewed = 1 WHERE reference = %s", [(r,) for r in references])
        conn.commit()
        return len(references)
    finally:
        conn.close()
