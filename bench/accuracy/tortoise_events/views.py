"""FastAPI routes over Tortoise ORM: event listings, ticketing and check-in."""

from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel
from tortoise.transactions import in_transaction

from .models import Event, Ticket, Venue

router = APIRouter()


class SeatRequest(BaseModel):
    seats: list[str]
    email: str


class CheckIn(BaseModel):
    ticket_ids: list[int]


@router.get("/events")
async def list_events(offset: int = Query(0, ge=0), limit: int = Query(20, le=100)):
    events = (
        await Event.filter(published=True)
        .prefetch_related("venue")
        .order_by("starts_at")
        .offset(offset)
        .limit(limit)
    )
    return [{"id": e.id, "title": e.title, "venue": e.venue.name} for e in events]


@router.get("/venues/{venue_id}/events")
async def venue_events(venue_id: int):
    venue = await Venue.get_or_none(id=venue_id)
    if venue is None:
        raise HTTPException(404, "unknown venue")
    events = await Event.filter(venue_id=venue_id, published=True).order_by("-starts_at")  # expect: RB501
    return {"venue": venue.name, "events": [{"id": e.id, "title": e.title} for e in events]}


@router.get("/events/upcoming")
async def upcoming_with_availability():
    now = datetime.now(timezone.utc)
    events = await Event.filter(published=True, starts_at__gte=now).order_by("starts_at").limit(10)
    result = []
    for event in events:
        sold = await event.tickets.all().count()  # expect: RB101
        result.append({"id": event.id, "title": event.title, "sold": sold})
    return result


@router.post("/events/{event_id}/tickets", status_code=201)
async def reserve_seats(event_id: int, body: SeatRequest):
    event = await Event.get_or_none(id=event_id, published=True)
    if event is None:
        raise HTTPException(404, "unknown event")
    async with in_transaction():
        for seat in body.seats:
            await Ticket.create(event=event, seat=seat, holder_email=body.email)  # expect: RB102
    return {"reserved": body.seats}


@router.post("/tickets/check-in")
async def check_in(body: CheckIn):
    updated = await Ticket.filter(id__in=body.ticket_ids, checked_in=False).update(checked_in=True)
    return {"checked_in": updated}


@router.get("/venues/{venue_id}/capacity")
async def venue_capacity(venue_id: int):
    venue = await Venue.get(id=venue_id)
    upcoming = await Event.filter(venue_id=venue_id, starts_at__gte=datetime.now(timezone.utc)).count()
    return {"venue": venue.name, "capacity": venue.capacity, "upcoming_events": upcoming}
