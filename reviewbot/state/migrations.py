"""Additive schema changes for state databases created by an earlier version.

`create_all` creates the tables that are missing but leaves existing ones as they are. Each column
added to a table after its first release is nullable (old rows have no value for it) and is listed
here; `add_missing_columns` adds those an existing database lacks, at start-up. Adding a nullable
column is cheap on SQLite and PostgreSQL alike, and nothing is ever dropped or rewritten.
"""

from __future__ import annotations

import logging

from sqlalchemy import Column, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from reviewbot.state.models import RunRow

logger = logging.getLogger(__name__)

# (table, column): in the order they were added.
ADDED_COLUMNS: tuple[tuple[str, str], ...] = (
    (RunRow.__tablename__, "explanation_stats"),
)


def missing_columns(engine: Engine) -> list[tuple[str, str]]:
    inspector = inspect(engine)
    present: dict[str, set[str]] = {}
    missing = []
    for table, column in ADDED_COLUMNS:
        if table not in present:
            present[table] = {c["name"] for c in inspector.get_columns(table)}
        if column not in present[table]:
            missing.append((table, column))
    return missing


def add_missing_columns(engine: Engine) -> list[str]:
    """Add the columns of `ADDED_COLUMNS` an existing database lacks; returns "table.column" of
    each column added. Two processes may start at once: a column the other one added first is
    not an error."""
    added = []
    for table, name in missing_columns(engine):
        column = RunRow.metadata.tables[table].c[name]
        statement = _add_column_statement(engine, table, column)
        try:
            with engine.begin() as connection:
                connection.execute(text(statement))
        except DBAPIError:
            if (table, name) in missing_columns(engine):
                raise
            continue
        logger.info("state database: added column %s.%s", table, name)
        added.append(f"{table}.{name}")
    return added


def _add_column_statement(engine: Engine, table: str, column: Column[object]) -> str:
    if column.nullable is False:  # an old row would have no value for it
        raise ValueError(f"{table}.{column.name}: a column added to an existing table must be nullable")
    quote = engine.dialect.identifier_preparer.quote
    column_type = column.type.compile(dialect=engine.dialect)
    return f"ALTER TABLE {quote(table)} ADD COLUMN {quote(column.name)} {column_type}"
