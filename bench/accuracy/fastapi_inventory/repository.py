"""SQLAlchemy 2.0 repository for items and stock movements."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from .models import Item, StockMovement


class ItemRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(self, offset: int, limit: int) -> Sequence[Item]:
        stmt = (
            select(Item)
            .options(selectinload(Item.warehouse))
            .order_by(Item.id)
            .offset(offset)
            .limit(limit)
        )
        return self.session.scalars(stmt).all()

    def by_sku(self, sku: str) -> Item | None:
        return self.session.scalar(select(Item).where(Item.sku == sku))

    def movements_for(self, item_id: int) -> Sequence[StockMovement]:
        stmt = select(StockMovement).where(StockMovement.item_id == item_id).order_by(StockMovement.id.desc())
        return self.session.scalars(stmt).all()  # expect: RB501

    def total_quantity(self, warehouse_id: int) -> int:
        stmt = select(func.coalesce(func.sum(Item.quantity), 0)).where(Item.warehouse_id == warehouse_id)
        return self.session.scalar(stmt)

    def record_movement(self, item: Item, delta: int, reason: str) -> StockMovement:
        movement = StockMovement(item_id=item.id, delta=delta, reason=reason)
        item.quantity += delta
        self.session.add(movement)
        return movement
