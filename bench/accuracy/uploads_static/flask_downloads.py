"""Flask: exports and shared documents of the reporting app."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, current_app, g, request, send_file, send_from_directory
from werkzeug.utils import safe_join

from reporting.auth import login_required
from reporting.exports import export_for

app = Flask(__name__)
app.config["EXPORT_DIR"] = "/var/lib/reporting/exports"
app.config["SHARED_DIR"] = "/var/lib/reporting/shared"


@app.get("/exports/<int:export_id>")
@login_required
def download_export(export_id: int):
    export = export_for(g.user, export_id)
    if export is None:
        abort(404)
    return send_from_directory(current_app.config["EXPORT_DIR"], export.filename, as_attachment=True)


@app.get("/shared/preview")
@login_required
def shared_preview():
    relative = request.args.get("path", "")
    full = safe_join(current_app.config["SHARED_DIR"], relative)
    if full is None or not Path(full).is_file():
        abort(404)
    text = Path(full).read_text(encoding="utf-8", errors="replace")  # expect: RB502
    return {"path": relative, "preview": text[:2000]}


@app.get("/shared/download")
@login_required
def shared_download():
    relative = request.args.get("path", "")
    full = safe_join(current_app.config["SHARED_DIR"], relative)
    if full is None or not Path(full).is_file():
        abort(404)
    return send_file(full, as_attachment=True)


@app.get("/shared/head")
@login_required
def shared_head():
    relative = request.args.get("path", "")
    full = safe_join(current_app.config["SHARED_DIR"], relative)
    if full is None:
        abort(404)
    with open(full, encoding="utf-8", errors="replace") as handle:
        first_lines = [next(handle, "") for _ in range(20)]
    return {"path": relative, "head": "".join(first_lines)}
