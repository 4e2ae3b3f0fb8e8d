"""SQLAlchemy 2.0 asyncio repository for users and roles."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ForeignKey, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload


class Base(DeclarativeBase):
    pass


class Role(Base):
    __tablename__ = "roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(40))


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    roles: Mapped[list[Role]] = relationship(lazy="raise")


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def with_roles(self, user_ids: Sequence[int]) -> Sequence[User]:
        stmt = select(User).where(User.id.in_(user_ids)).options(selectinload(User.roles))
        return (await self.session.scalars(stmt)).all()

    async def emails_for(self, user_ids: Sequence[int]) -> list[str]:
        emails = []
        for user_id in user_ids:
            user = await self.session.get(User, user_id)  # expect: RB102
            if user is not None and user.active:
                emails.append(user.email)
        return emails

    async def deactivate(self, user_ids: Sequence[int]) -> None:
        await self.session.execute(update(User).where(User.id.in_(user_ids)).values(active=False))
        await self.session.commit()

    async def active_user_count(self) -> int:
        users = (await self.session.scalars(select(User).where(User.active.is_(True)))).all()
        return len(users)  # expect: RB103

    async def by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))
