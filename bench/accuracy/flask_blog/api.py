"""Flask JSON API (Flask-SQLAlchemy): imports, comments and avatars."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.utils import secure_filename

from .auth import login_required
from .models import Comment, Post, db

api = Blueprint("api", __name__, url_prefix="/api")


@api.post("/posts/<int:post_id>/comments")
@login_required
def add_comment(post_id: int):
    post = db.get_or_404(Post, post_id)
    payload = request.get_json(force=True)
    comment = Comment(post_id=post.id, author_id=g.user.id, body=payload["body"][:5000])
    db.session.add(comment)
    db.session.commit()
    return jsonify({"id": comment.id}), 201


@api.post("/posts/import")
@login_required
def import_posts():
    upload = request.files["file"]
    text = upload.read().decode("utf-8")  # expect: RB502
    reader = csv.DictReader(io.StringIO(text))
    posts = [
        Post(title=row["title"], slug=row["slug"], body=row["body"], author_id=g.user.id)
        for row in reader
    ]
    db.session.add_all(posts)
    db.session.commit()
    return jsonify({"imported": len(posts)}), 201


@api.post("/avatar")
@login_required
def upload_avatar():
    upload = request.files["avatar"]
    name = secure_filename(f"{g.user.id}-{upload.filename}")
    target = Path(current_app.config["AVATAR_DIR"]) / name
    with target.open("wb") as out:
        shutil.copyfileobj(upload.stream, out, length=1024 * 1024)
    return jsonify({"avatar": name}), 201


@api.post("/posts/<int:post_id>/tags")
@login_required
def set_tags(post_id: int):
    post = db.get_or_404(Post, post_id)
    names = request.get_json(force=True).get("tags", [])
    if len(names) > 20:
        return jsonify({"error": "too many tags"}), 400
    from .models import Tag

    existing = {tag.name: tag for tag in Tag.query.filter(Tag.name.in_(names)).all()}
    post.tags = [existing.get(name) or Tag(name=name) for name in names]
    db.session.commit()
    return jsonify({"tags": [tag.name for tag in post.tags]})
