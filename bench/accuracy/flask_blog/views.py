"""Flask blueprint (Flask-SQLAlchemy): public blog pages."""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request, send_file, send_from_directory
from sqlalchemy.orm import joinedload

from .auth import login_required
from .models import Attachment, Comment, Post, Tag, User

bp = Blueprint("blog", __name__)


@bp.route("/")
def index():
    page = request.args.get("page", 1, type=int)
    posts = Post.query.filter_by(published=True).order_by(Post.created_at.desc()).paginate(page=page, per_page=20)
    cards = [
        {
            "title": post.title,
            "slug": post.slug,
            "author": post.author.display_name,  # expect: RB101
            "tags": [tag.name for tag in post.tags],
        }
        for post in posts.items
    ]
    return render_template("index.html", cards=cards, pagination=posts)


@bp.route("/p/<slug>")
def post_detail(slug: str):
    post = Post.query.filter_by(slug=slug, published=True).first_or_404()
    comments = (
        Comment.query.filter_by(post_id=post.id)
        .options(joinedload(Comment.author))
        .order_by(Comment.created_at)
        .limit(200)
        .all()
    )
    thread = [(comment.author.username, comment.body) for comment in comments]
    return render_template("post.html", post=post, thread=thread)


@bp.route("/tags")
def tag_cloud():
    tags = Tag.query.order_by(Tag.name).all()  # expect: RB501
    return render_template("tags.html", tags=tags)


@bp.route("/u/<username>")
def author_page(username: str):
    author = User.query.filter_by(username=username).first_or_404()
    page = request.args.get("page", 1, type=int)
    posts = (
        Post.query.filter_by(author_id=author.id, published=True)
        .order_by(Post.created_at.desc())
        .paginate(page=page, per_page=10)
    )
    return render_template("author.html", author=author, posts=posts)


@bp.route("/theme/<path:filename>")
def theme_asset(filename: str):
    return send_from_directory("themes/default/assets", filename, max_age=3600)  # expect: RB401


@bp.route("/attachments/<int:attachment_id>")
@login_required
def download_attachment(attachment_id: int):
    attachment = Attachment.query.get_or_404(attachment_id)
    if attachment.owner_id != g.user.id:
        abort(403)
    return send_file(attachment.stored_path, as_attachment=True, download_name=attachment.filename)
