"""Peewee models of the notes app."""

from __future__ import annotations

import datetime

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    Model,
    PostgresqlDatabase,
    TextField,
)

database = PostgresqlDatabase(None)


class BaseModel(Model):
    class Meta:
        database = database


class User(BaseModel):
    username = CharField(unique=True)
    email = CharField()


class Notebook(BaseModel):
    owner = ForeignKeyField(User, backref="notebooks", on_delete="CASCADE")
    title = CharField()
    archived = BooleanField(default=False)


class Note(BaseModel):
    notebook = ForeignKeyField(Notebook, backref="notes", on_delete="CASCADE")
    title = CharField()
    body = TextField()
    updated = DateTimeField(default=datetime.datetime.utcnow, index=True)


class Tag(BaseModel):
    name = CharField(unique=True)


class NoteTag(BaseModel):
    note = ForeignKeyField(Note, backref="note_tags")
    tag = ForeignKeyField(Tag, backref="note_tags")
