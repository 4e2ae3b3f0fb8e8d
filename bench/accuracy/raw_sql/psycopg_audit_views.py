"""Flask views over psycopg 3 (raw SQL): the account audit log."""

from __future__ import annotations

import csv
import io

import psycopg
from flask import Flask, Response, g, jsonify, request, stream_with_context
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

app = Flask(__name__)
pool = ConnectionPool("dbname=audit", min_size=2, max_size=10, open=False)


@app.before_request
def take_connection():
    g.conn = pool.getconn()


@app.teardown_request
def give_back(exc):
    conn = g.pop("conn", None)
    if conn is not None:
        pool.putconn(conn)


@app.get("/accounts/<int:account_id>/audit")
def audit_page(account_id: int):
    limit = min(request.args.get("limit", 100, type=int), 500)
    before = request.args.get("before", type=int)
    with g.conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            "SELECT id, actor, action, created_at FROM audit_log "
            "WHERE account_id = %s AND (%s::bigint IS NULL OR id < %s) ORDER BY id DESC LIMIT %s",
            (account_id, before, before, limit),
        )
        return jsonify(cur.fetchall())


@app.get("/accounts/<int:account_id>/audit/actors")
def audit_actors(account_id: int):
    with g.conn.cursor() as cur:
        cur.execute("SELECT DISTINCT actor FROM audit_log WHERE account_id = %s ORDER BY actor", (account_id,))
        actors = [row[0] for row in cur.fetchall()]  # expect: RB501
    return jsonify(actors)


@app.get("/accounts/<int:account_id>/audit.csv")
def audit_csv(account_id: int):
    def generate():
        conn = pool.getconn()
        try:
            with conn.cursor(name="audit_export") as cur:
                cur.execute("SELECT id, actor, action, created_at FROM audit_log WHERE account_id = %s", (account_id,))
                while rows := cur.fetchmany(1000):
                    buffer = io.StringIO()
                    csv.writer(buffer).writerows(rows)
                    yield buffer.getvalue()
        finally:
            pool.putconn(conn)

    return Response(stream_with_context(generate()), mimetype="text/csv")


@app.get("/accounts/<int:account_id>/flags")
def account_flags(account_id: int):
    with g.conn.cursor() as cur:
        cur.execute("SELECT 1 FROM audit_log WHERE account_id = %s AND action = 'flagged'", (account_id,))
        flagged = len(cur.fetchall()) > 0  # expect: RB103, RB501
    return jsonify({"flagged": flagged})


def check_database() -> bool:
    try:
        with psycopg.connect("dbname=audit", connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False
