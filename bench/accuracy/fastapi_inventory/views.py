"""FastAPI routes (SQLAlchemy 2.0, sync sessions) of the inventory service."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .database import get_db
from .models import Item, Supplier
from .repository import ItemRepository

router = APIRouter(prefix="/inventory")


class Adjustment(BaseModel):
    item_id: int
    delta: int
    reason: str = "manual"


class BulkAdjustment(BaseModel):
    adjustments: list[Adjustment]


@router.get("/items")
def list_items(
    offset: int = Query(0, ge=0), limit: int = Query(50, ge=1, le=200), db: Session = Depends(get_db)
):
    items = ItemRepository(db).page(offset, limit)
    return [{"sku": i.sku, "name": i.name, "warehouse": i.warehouse.code, "qty": i.quantity} for i in items]


@router.get("/items/{sku}/movements")
def item_movements(sku: str, db: Session = Depends(get_db)):
    repo = ItemRepository(db)
    item = repo.by_sku(sku)
    if item is None:
        raise HTTPException(404, "unknown item")
    return [{"delta": m.delta, "reason": m.reason, "at": m.created_at} for m in repo.movements_for(item.id)]


@router.get("/warehouses/{warehouse_id}/report")
def warehouse_report(warehouse_id: int, db: Session = Depends(get_db)):
    items = db.scalars(select(Item).where(Item.warehouse_id == warehouse_id)).all()  # expect: RB501
    report = []
    for item in items:
        last = item.movements[-1] if item.movements else None  # expect: RB101
        report.append({"sku": item.sku, "qty": item.quantity, "last_reason": last.reason if last else None})
    return report


@router.get("/suppliers")
def list_suppliers(db: Session = Depends(get_db)):
    suppliers = db.scalars(select(Supplier).order_by(Supplier.name)).all()  # expect: RB501
    return [{"name": s.name, "skus": [item.sku for item in s.items]} for s in suppliers]


@router.post("/items/adjust")
def bulk_adjust(payload: BulkAdjustment, db: Session = Depends(get_db)):
    repo = ItemRepository(db)
    for adjustment in payload.adjustments:
        item = db.get(Item, adjustment.item_id)  # expect: RB102
        if item is None:
            raise HTTPException(404, f"unknown item {adjustment.item_id}")
        repo.record_movement(item, adjustment.delta, adjustment.reason)
    db.commit()
    return {"adjusted": len(payload.adjustments)}


@router.get("/summary")
async def stock_summary(db: Session = Depends(get_db)):
    total = db.scalar(select(func.sum(Item.quantity)))  # expect: RB201
    return {"total_units": total or 0}
