"""asyncpg repository: the ledger of the wallet service."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import asyncpg


@dataclass(frozen=True)
class Transfer:
    source: int
    target: int
    amount: Decimal
    reference: str


class Ledger:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def record_batch(self, transfers: Sequence[Transfer]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO ledger (source, target, amount, reference) VALUES ($1, $2, $3, $4)",
                [(t.source, t.target, t.amount, t.reference) for t in transfers],
            )

    async def apply_balances(self, transfers: Sequence[Transfer]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            for transfer in transfers:
                await conn.execute(  # expect: RB102
                    "UPDATE wallets SET balance = balance - $1 WHERE id = $2", transfer.amount, transfer.source
                )
                await conn.execute(  # expect: RB102
                    "UPDATE wallets SET balance = balance + $1 WHERE id = $2", transfer.amount, transfer.target
                )

    async def recent(self, wallet_id: int, limit: int = 50) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            return await conn.fetch(
                "SELECT * FROM ledger WHERE source = $1 OR target = $1 ORDER BY id DESC LIMIT $2",
                wallet_id,
                limit,
            )

    async def balances(self, wallet_ids: Sequence[int]) -> dict[int, Decimal]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT id, balance FROM wallets WHERE id = any($1::int[])", list(wallet_ids))
        return {row["id"]: row["balance"] for row in rows}

    async def stream_all(self, since_id: int):
        async with self.pool.acquire() as conn, conn.transaction():
            async for row in conn.cursor("SELECT * FROM ledger WHERE id > $1 ORDER BY id", since_id, prefetch=500):
                yield row
