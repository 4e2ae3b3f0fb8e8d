"""Tortoise ORM models of the events service."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Venue(Model):
    id = fields.IntField(pk=True)
    name = fields.CharField(max_length=120)
    city = fields.CharField(max_length=80)
    capacity = fields.IntField()


class Event(Model):
    id = fields.IntField(pk=True)
    title = fields.CharField(max_length=200)
    starts_at = fields.DatetimeField(index=True)
    venue = fields.ForeignKeyField("models.Venue", related_name="events")
    published = fields.BooleanField(default=False)


class Ticket(Model):
    id = fields.IntField(pk=True)
    event = fields.ForeignKeyField("models.Event", related_name="tickets")
    seat = fields.CharField(max_length=8)
    holder_email = fields.CharField(max_length=254, null=True)
    checked_in = fields.BooleanField(default=False)

    class Meta:
        unique_together = (("event", "seat"),)
