"""Flask + Flask-SQLAlchemy: the internal admin API for users and teams."""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://admin@db/admin"
db = SQLAlchemy(app)


class Team(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), unique=True)


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), unique=True)
    active = db.Column(db.Boolean, default=True)
    team_id = db.Column(db.Integer, db.ForeignKey("team.id"))
    team = db.relationship("Team", backref=db.backref("members", lazy="dynamic"))


@app.get("/admin/users")
def list_users():
    users = User.query.order_by(User.email).all()  # expect: RB501
    return jsonify([{"id": u.id, "email": u.email, "team_id": u.team_id} for u in users])


@app.get("/admin/users/page")
def users_page():
    page = db.paginate(db.select(User).order_by(User.id), per_page=50, max_per_page=200)
    return jsonify({"items": [{"id": u.id, "email": u.email} for u in page.items], "pages": page.pages})


@app.get("/admin/active")
def active_users():
    users = User.query.filter_by(active=True).order_by(User.id).limit(100).all()
    return jsonify([{"email": u.email, "team": u.team.name if u.team else None} for u in users])  # expect: RB101


@app.get("/admin/teams/<int:team_id>")
def team_detail(team_id: int):
    team = db.get_or_404(Team, team_id)
    members = team.members.order_by(User.email).limit(500).all()
    return jsonify({"name": team.name, "members": [m.email for m in members]})


@app.post("/admin/users/deactivate")
def deactivate_users():
    ids = [int(i) for i in request.json.get("ids", [])]
    User.query.filter(User.id.in_(ids)).update({User.active: False}, synchronize_session=False)
    db.session.commit()
    return jsonify({"deactivated": len(ids)})
