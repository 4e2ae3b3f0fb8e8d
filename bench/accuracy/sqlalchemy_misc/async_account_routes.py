"""FastAPI routes with SQLAlchemy 2.0 AsyncSession: accounts and their orders."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI, HTTPException, Query
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

engine = create_async_engine("postgresql+asyncpg://accounts@db/accounts", pool_size=20)
SessionMaker = async_sessionmaker(engine, expire_on_commit=False)
app = FastAPI()


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    plan: Mapped[str] = mapped_column(String(20))
    orders: Mapped[list[Order]] = relationship(back_populates="account")


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount_cents: Mapped[int]
    account: Mapped[Account] = relationship(back_populates="orders")


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionMaker() as session:
        yield session


@app.get("/accounts")
async def all_accounts(session: AsyncSession = Depends(get_session)):
    accounts = (await session.scalars(select(Account).order_by(Account.id))).all()  # expect: RB501
    return [{"id": a.id, "email": a.email, "plan": a.plan} for a in accounts]


@app.get("/accounts/page")
async def accounts_page(
    after: int = 0, size: int = Query(50, le=200), session: AsyncSession = Depends(get_session)
):
    stmt = select(Account).where(Account.id > after).order_by(Account.id).limit(size)
    accounts = (await session.scalars(stmt)).all()
    return {"items": [{"id": a.id, "email": a.email} for a in accounts], "next": accounts[-1].id if accounts else None}


@app.get("/accounts/{account_id}/orders")
async def account_orders(account_id: int, session: AsyncSession = Depends(get_session)):
    stmt = select(Order).where(Order.account_id == account_id).order_by(Order.id.desc()).limit(100)
    orders = (await session.scalars(stmt)).all()
    return [{"id": o.id, "amount": o.amount_cents} for o in orders]


@app.get("/plans/{plan}/accounts")
async def plan_accounts(plan: str, limit: int = Query(20, le=100), session: AsyncSession = Depends(get_session)):
    stmt = select(Account).where(Account.plan == plan).options(selectinload(Account.orders)).limit(limit)
    accounts = (await session.scalars(stmt)).all()
    return [{"id": a.id, "orders": len(a.orders)} for a in accounts]


@app.get("/accounts/{account_id}")
async def account_detail(account_id: int, session: AsyncSession = Depends(get_session)):
    account = await session.get(Account, account_id)
    if account is None:
        raise HTTPException(404)
    spent = await session.scalar(select(func.sum(Order.amount_cents)).where(Order.account_id == account_id))
    return {"id": account.id, "email": account.email, "spent": spent or 0}
