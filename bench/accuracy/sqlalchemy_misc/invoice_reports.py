"""SQLAlchemy 1.x (session.query): invoice reports for the finance export job."""

from __future__ import annotations

import csv
from datetime import date

from sqlalchemy import Column, Date, ForeignKey, Integer, Numeric, String
from sqlalchemy.ext.declarative import declarative_base
from sqlalchemy.orm import joinedload, relationship, subqueryload

Base = declarative_base()


class Client(Base):
    __tablename__ = "clients"
    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    vat_number = Column(String(32))


class Invoice(Base):
    __tablename__ = "invoices"
    id = Column(Integer, primary_key=True)
    number = Column(String(20), unique=True)
    issued_on = Column(Date, index=True)
    client_id = Column(Integer, ForeignKey("clients.id"), nullable=False)
    client = relationship(Client)
    lines = relationship("InvoiceLine", back_populates="invoice")


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    id = Column(Integer, primary_key=True)
    invoice_id = Column(Integer, ForeignKey("invoices.id"), nullable=False)
    description = Column(String(300))
    amount = Column(Numeric(12, 2))
    invoice = relationship(Invoice, back_populates="lines")


def write_month_export(session, year: int, month: int, out_path: str) -> int:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    invoices = (
        session.query(Invoice)
        .filter(Invoice.issued_on >= start, Invoice.issued_on < end)
        .order_by(Invoice.number)
        .all()
    )
    with open(out_path, "w", newline="") as handle:
        writer = csv.writer(handle)
        for invoice in invoices:
            writer.writerow([invoice.number, invoice.issued_on, invoice.client.name])  # expect: RB101
    return len(invoices)


def totals_by_client(session, year: int) -> dict[str, float]:
    invoices = (
        session.query(Invoice)
        .options(joinedload(Invoice.client), subqueryload(Invoice.lines))
        .filter(Invoice.issued_on >= date(year, 1, 1), Invoice.issued_on < date(year + 1, 1, 1))
        .all()
    )
    totals: dict[str, float] = {}
    for invoice in invoices:
        amount = sum(float(line.amount) for line in invoice.lines)
        totals[invoice.client.name] = totals.get(invoice.client.name, 0.0) + amount
    return totals


def line_descriptions(session, invoice_id: int) -> list[str]:
    invoice = session.query(Invoice).get(invoice_id)
    return [f"{line.invoice.number}: {line.description}" for line in invoice.lines]
