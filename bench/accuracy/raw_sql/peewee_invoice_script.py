"""Peewee: monthly customer statement generator, run by cron."""

from __future__ import annotations

import sys
from datetime import date

from peewee import (
    CharField,
    DateField,
    DecimalField,
    ForeignKeyField,
    Model,
    SqliteDatabase,
    fn,
    prefetch,
)

db = SqliteDatabase("billing.db", pragmas={"journal_mode": "wal"})


class BaseModel(Model):
    class Meta:
        database = db


class Company(BaseModel):
    name = CharField()
    country = CharField(max_length=2)


class Customer(BaseModel):
    company = ForeignKeyField(Company, backref="customers")
    email = CharField()


class Charge(BaseModel):
    customer = ForeignKeyField(Customer, backref="charges")
    amount = DecimalField(decimal_places=2)
    charged_on = DateField(index=True)


def statement_lines(month_start: date, month_end: date) -> list[str]:
    lines = []
    for customer in Customer.select().order_by(Customer.email):
        company = customer.company.name  # expect: RB101
        total = (
            Charge.select(fn.SUM(Charge.amount))  # expect: RB101
            .where(Charge.customer == customer, Charge.charged_on.between(month_start, month_end))
            .scalar()
        )
        lines.append(f"{company};{customer.email};{total or 0}")
    return lines


def charges_by_customer(month_start: date, month_end: date) -> dict[str, list[str]]:
    customers = Customer.select().order_by(Customer.email)
    charges = Charge.select().where(Charge.charged_on.between(month_start, month_end))
    result = {}
    for customer in prefetch(customers, charges):
        result[customer.email] = [str(charge.amount) for charge in customer.charges]
    return result


if __name__ == "__main__":
    start, end = date.fromisoformat(sys.argv[1]), date.fromisoformat(sys.argv[2])
    db.connect()
    print("\n".join(statement_lines(start, end)))
