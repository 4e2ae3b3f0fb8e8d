"""Flask + Flask-Caching: cached pages and computed fragments of the docs site."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request, send_from_directory
from flask_caching import Cache

from docs_site.content import load_page, render_markdown, search_index

app = Flask(__name__, static_folder=None)
app.config.from_prefixed_env()
cache = Cache(app, config={"CACHE_TYPE": "RedisCache", "CACHE_DEFAULT_TIMEOUT": 300})


@app.get("/docs/<path:slug>")
@cache.cached(timeout=600, query_string=True)
def page(slug: str):
    return render_template("page.html", page=load_page(slug))


@cache.memoize(timeout=3600)
def rendered(slug: str, version: str) -> str:
    return render_markdown(load_page(slug, version))


@app.get("/api/render/<path:slug>")
def render_api(slug: str):
    version = request.args.get("v", "latest")
    return jsonify({"html": rendered(slug, version)})


@app.get("/api/search")
def search():
    term = request.args.get("q", "").strip().lower()
    key = f"search:{term}"
    hits = cache.get(key)
    if hits is None:
        hits = search_index(term)[:20]
        cache.set(key, hits, timeout=0)  # expect: RB301
    return jsonify(hits)


@app.get("/api/versions")
def versions():
    data = cache.get("versions")
    if data is None:
        data = sorted(load_page("versions.json")["versions"])
        cache.set("versions", data)
    return jsonify(data)


if app.debug:
    @app.get("/static/<path:filename>")
    def dev_static(filename: str):
        return send_from_directory("static", filename)
