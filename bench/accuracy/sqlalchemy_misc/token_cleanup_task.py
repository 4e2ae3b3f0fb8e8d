"""Celery tasks with SQLAlchemy 1.x sessions: API token housekeeping."""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import Celery
from sqlalchemy import Boolean, Column, DateTime, Integer, String, create_engine
from sqlalchemy.orm import declarative_base, sessionmaker

celery_app = Celery("tokens", broker="redis://redis:6379/0")
engine = create_engine("postgresql://tokens@db/tokens", pool_pre_ping=True)
Session = sessionmaker(bind=engine)
Base = declarative_base()


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id = Column(Integer, primary_key=True)
    digest = Column(String(64), unique=True)
    owner_id = Column(Integer, index=True)
    revoked = Column(Boolean, default=False)
    last_used_at = Column(DateTime)
    expires_at = Column(DateTime, index=True)


@celery_app.task
def purge_expired_tokens() -> int:
    session = Session()
    try:
        deleted = (
            session.query(ApiToken)
            .filter(ApiToken.expires_at < datetime.utcnow())
            .delete(synchronize_session=False)
        )
        session.commit()
        return deleted
    finally:
        session.close()


@celery_app.task
def revoke_tokens(digests: list[str]) -> int:
    session = Session()
    revoked = 0
    try:
        for digest in digests:
            token = session.query(ApiToken).filter_by(digest=digest).first()  # expect: RB102
            if token is not None and not token.revoked:
                token.revoked = True
                revoked += 1
        session.commit()
    finally:
        session.close()
    return revoked


@celery_app.task
def flag_stale_tokens(days: int = 180) -> int:
    cutoff = datetime.utcnow() - timedelta(days=days)
    with Session() as session:
        count = (
            session.query(ApiToken)
            .filter(ApiToken.last_used_at < cutoff, ApiToken.revoked.is_(False))
            .update({ApiToken.revoked: True}, synchronize_session=False)
        )
        session.commit()
    return count
