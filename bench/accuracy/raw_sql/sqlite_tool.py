"""sqlite3 command-line tool: index exported chat logs into a local database."""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    author TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_channel ON messages (channel, sent_at);
"""


def load_messages(path: Path, aliases_path: Path) -> list[tuple]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            message = json.loads(line)
            aliases = json.loads(aliases_path.read_text(encoding="utf-8"))  # expect: RB304
            author = aliases.get(message["author"], message["author"])
            rows.append((message["id"], message["channel"], author, message["ts"], message["text"]))
    return rows


def index(db_path: Path, exports: list[Path], aliases_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    conn.executescript(SCHEMA)
    total = 0
    with conn:
        for export in exports:
            rows = load_messages(export, aliases_path)
            conn.executemany("INSERT OR REPLACE INTO messages VALUES (?, ?, ?, ?, ?)", rows)
            total += len(rows)
    conn.close()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database", type=Path)
    parser.add_argument("exports", type=Path, nargs="+")
    parser.add_argument("--aliases", type=Path, default=Path("aliases.json"))
    args = parser.parse_args()
    print(f"indexed {index(args.database, args.exports, args.aliases)} messages")


if __name__ == "__main__":
    main()
