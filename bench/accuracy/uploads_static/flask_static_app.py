"""Flask application: marketing pages, generated charts and well-known files."""

from __future__ import annotations

import io

from flask import Flask, render_template, send_file
from whitenoise import WhiteNoise

from marketing.charts import render_signup_chart

app = Flask(__name__, static_folder="static")
app.wsgi_app = WhiteNoise(app.wsgi_app, root="static/", prefix="static/", max_age=31536000)


@app.get("/")
def home():
    return render_template("home.html")


@app.get("/robots.txt")
def robots():
    return app.send_static_file("robots.txt")  # expect: RB401


@app.get("/charts/signups.png")
def signup_chart():
    png = render_signup_chart(days=30)
    return send_file(io.BytesIO(png), mimetype="image/png", max_age=300)


@app.get("/pricing")
def pricing():
    return render_template("pricing.html")
