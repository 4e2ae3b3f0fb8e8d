"""Flask views over Peewee: notebooks, notes and tags."""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request

from .models import Note, Notebook, NoteTag, Tag, User, database

bp = Blueprint("notes", __name__)


@bp.get("/notebooks")
def notebooks():
    page = max(request.args.get("page", 1, type=int), 1)
    query = (
        Notebook.select(Notebook, User)
        .join(User)
        .where(Notebook.owner == g.user.id, Notebook.archived == False)  # noqa: E712
        .order_by(Notebook.title)
        .paginate(page, 20)
    )
    return jsonify([{"id": nb.id, "title": nb.title, "owner": nb.owner.username} for nb in query])


@bp.get("/notes/recent")
def recent_notes():
    notes = (
        Note.select()
        .join(Notebook)
        .where(Notebook.owner == g.user.id)
        .order_by(Note.updated.desc())
        .limit(50)
    )
    return jsonify(
        [{"id": n.id, "title": n.title, "notebook": n.notebook.title} for n in notes]  # expect: RB101
    )


@bp.get("/notes/export")
def export_notes():
    notes = list(  # expect: RB501
        Note.select(Note.id, Note.title, Note.body)
        .join(Notebook)
        .where(Notebook.owner == g.user.id)
        .dicts()
    )
    return jsonify(notes)


@bp.post("/notebooks/<int:notebook_id>/notes")
def create_notes(notebook_id: int):
    notebook = Notebook.get_or_none(Notebook.id == notebook_id, Notebook.owner == g.user.id)
    if notebook is None:
        abort(404)
    rows = [{"notebook": notebook.id, "title": n["title"], "body": n.get("body", "")} for n in request.json["notes"]]
    with database.atomic():
        Note.insert_many(rows).execute()
    return jsonify({"created": len(rows)}), 201


@bp.post("/notes/<int:note_id>/tags")
def tag_note(note_id: int):
    note = Note.get_or_none(Note.id == note_id)
    if note is None:
        abort(404)
    names = [name.strip().lower() for name in request.json.get("tags", []) if name.strip()]
    with database.atomic():
        for name in names:
            tag, _ = Tag.get_or_create(name=name)  # expect: RB102
            NoteTag.get_or_create(note=note, tag=tag)  # expect: RB102
    return jsonify({"tags": names})
