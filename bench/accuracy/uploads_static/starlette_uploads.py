"""Starlette: attachment upload endpoints and the app's routing table."""

from __future__ import annotations

import hashlib
import os
import uuid

import aiofiles
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

UPLOAD_DIR = os.environ.get("UPLOAD_DIR", "/srv/uploads")
CHUNK = 1024 * 1024


async def upload_attachment(request):
    form = await request.form()
    upload = form["file"]
    data = await upload.read()  # expect: RB502
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(UPLOAD_DIR, f"{uuid.uuid4().hex}")
    async with aiofiles.open(path, "wb") as out:
        await out.write(data)
    return JSONResponse({"sha256": digest, "size": len(data)}, status_code=201)


async def upload_attachment_streamed(request):
    form = await request.form(max_files=1)
    upload = form["file"]
    digest = hashlib.sha256()
    size = 0
    path = os.path.join(UPLOAD_DIR, f"{uuid.uuid4().hex}")
    async with aiofiles.open(path, "wb") as out:
        while chunk := await upload.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            await out.write(chunk)
    return JSONResponse({"sha256": digest.hexdigest(), "size": size}, status_code=201)


async def health(request):
    return JSONResponse({"ok": True})


routes = [
    Route("/attachments", upload_attachment, methods=["POST"]),
    Route("/attachments/streamed", upload_attachment_streamed, methods=["POST"]),
    Route("/health", health),
    Mount("/static", app=StaticFiles(directory="static"), name="static"),  # expect: RB401
]

app = Starlette(routes=routes)
