"""aiohttp web application of the photo gallery: uploads and assets."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", "/srv/gallery"))


async def upload_photo(request: web.Request) -> web.Response:
    reader = await request.multipart()
    part = await reader.next()
    if part is None or part.name != "photo":
        raise web.HTTPBadRequest(text="expected a photo field")
    data = await part.read()  # expect: RB502
    name = f"{uuid.uuid4().hex}.jpg"
    (UPLOAD_DIR / name).write_bytes(data)  # expect: RB201
    return web.json_response({"photo": name}, status=201)


async def upload_video(request: web.Request) -> web.Response:
    reader = await request.multipart()
    part = await reader.next()
    name = f"{uuid.uuid4().hex}.mp4"
    size = 0
    with (UPLOAD_DIR / name).open("wb") as out:  # expect: RB201
        while chunk := await part.read_chunk(1024 * 1024):
            size += len(chunk)
            out.write(chunk)
    return web.json_response({"video": name, "size": size}, status=201)


async def index(request: web.Request) -> web.Response:
    return web.Response(text="gallery", content_type="text/plain")


def build_app() -> web.Application:
    app = web.Application(client_max_size=50 * 1024**2)
    app.router.add_get("/", index)
    app.router.add_post("/photos", upload_photo)
    app.router.add_post("/videos", upload_video)
    app.router.add_static("/static/", path=STATIC_DIR, name="static")  # expect: RB401
    return app


if __name__ == "__main__":
    web.run_app(build_app(), port=8080)
