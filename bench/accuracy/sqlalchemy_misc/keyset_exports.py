"""FastAPI + SQLAlchemy 2.0: keyset-paginated listing and a streamed CSV export of shipments."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime

from fastapi import Depends, FastAPI, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from logistics.db import get_session

app = FastAPI()


class Base(DeclarativeBase):
    pass


class Shipment(Base):
    __tablename__ = "shipments"
    id: Mapped[int] = mapped_column(primary_key=True)
    tracking: Mapped[str] = mapped_column(String(40), unique=True)
    carrier: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


@app.get("/shipments")
def shipments(
    after_id: int = 0,
    limit: int = Query(100, ge=1, le=500),
    status: str | None = None,
    session: Session = Depends(get_session),
):
    stmt = select(Shipment).where(Shipment.id > after_id).order_by(Shipment.id).limit(limit)
    if status:
        stmt = stmt.where(Shipment.status == status)
    rows = session.scalars(stmt).all()
    return {
        "items": [{"id": s.id, "tracking": s.tracking, "status": s.status} for s in rows],
        "next_after_id": rows[-1].id if len(rows) == limit else None,
    }


@app.get("/shipments/export.csv")
def export_shipments(session: Session = Depends(get_session)):
    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "tracking", "carrier", "status", "created_at"])
        stmt = select(Shipment).order_by(Shipment.id).execution_options(yield_per=1000)
        for shipment in session.scalars(stmt):
            writer.writerow([shipment.id, shipment.tracking, shipment.carrier, shipment.status, shipment.created_at])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate(0)

    return StreamingResponse(rows(), media_type="text/csv")


@app.get("/shipments/{tracking}")
def shipment(tracking: str, session: Session = Depends(get_session)):
    found = session.scalar(select(Shipment).where(Shipment.tracking == tracking))
    return {"tracking": tracking, "status": found.status if found else "unknown"}
