"""Email delivery: SMTP from Celery tasks and from the async notification API (FastAPI)."""

from __future__ import annotations

import asyncio
import os
import smtplib
from email.message import EmailMessage

from celery import shared_task
from fastapi import APIRouter
from pydantic import BaseModel

SMTP_HOST = os.environ.get("SMTP_HOST", "smtp.internal")
router = APIRouter()


class Notification(BaseModel):
    to: str
    subject: str
    body: str


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "noreply@example.com"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


@shared_task(autoretry_for=(smtplib.SMTPException,), retry_backoff=True)
def send_batch(messages: list[dict]) -> int:
    with smtplib.SMTP(SMTP_HOST, 587, timeout=30) as smtp:
        smtp.starttls()
        for item in messages:
            smtp.send_message(build_message(item["to"], item["subject"], item["body"]))
    return len(messages)


def send_one(note: Notification) -> None:
    with smtplib.SMTP(SMTP_HOST, 587, timeout=30) as smtp:
        smtp.starttls()
        smtp.send_message(build_message(note.to, note.subject, note.body))


@router.post("/notify")
async def notify(note: Notification):
    with smtplib.SMTP(SMTP_HOST, 587, timeout=30) as smtp:  # expect: RB201
        smtp.starttls()
        smtp.send_message(build_message(note.to, note.subject, note.body))
    return {"queued": False}


@router.post("/notify/threaded")
async def notify_threaded(note: Notification):
    await asyncio.to_thread(send_one, note)
    return {"queued": False}


@router.post("/notify/queued")
async def notify_queued(note: Notification):
    send_batch.delay([note.model_dump()])
    return {"queued": True}
