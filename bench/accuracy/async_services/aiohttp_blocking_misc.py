"""aiohttp web handlers of the media processing service."""

from __future__ import annotations

import asyncio
import functools
import subprocess
import uuid
from pathlib import Path

import boto3
from aiohttp import web

BUCKET = "media-originals"
WORK_DIR = Path("/var/lib/media")
s3 = boto3.client("s3")


async def thumbnail(request: web.Request) -> web.Response:
    media_id = request.match_info["media_id"]
    source = WORK_DIR / f"{media_id}.jpg"
    target = WORK_DIR / f"{media_id}.thumb.jpg"
    subprocess.run(["convert", str(source), "-resize", "320x320", str(target)], check=True)  # expect: RB201
    return web.json_response({"thumbnail": target.name})


async def thumbnail_async(request: web.Request) -> web.Response:
    media_id = request.match_info["media_id"]
    process = await asyncio.create_subprocess_exec(
        "convert", str(WORK_DIR / f"{media_id}.jpg"), "-resize", "320x320", str(WORK_DIR / f"{media_id}.t.jpg")
    )
    await process.wait()
    return web.json_response({"ok": process.returncode == 0})


async def publish(request: web.Request) -> web.Response:
    media_id = request.match_info["media_id"]
    data = (WORK_DIR / f"{media_id}.jpg").read_bytes()  # expect: RB201, RB502
    s3.put_object(Bucket=BUCKET, Key=f"{media_id}.jpg", Body=data)  # expect: RB201
    return web.json_response({"published": media_id})


async def publish_offloaded(request: web.Request) -> web.Response:
    media_id = request.match_info["media_id"]
    loop = asyncio.get_running_loop()
    upload = functools.partial(s3.upload_file, str(WORK_DIR / f"{media_id}.jpg"), BUCKET, f"{media_id}.jpg")
    await loop.run_in_executor(None, upload)
    return web.json_response({"published": media_id})


async def new_job(request: web.Request) -> web.Response:
    job_id = uuid.uuid4().hex
    request.app["jobs"][job_id] = "queued"
    return web.json_response({"job": job_id}, status=202)


def build_app() -> web.Application:
    app = web.Application()
    app["jobs"] = {}
    app.router.add_post("/media/{media_id}/thumbnail", thumbnail)
    app.router.add_post("/media/{media_id}/thumbnail-async", thumbnail_async)
    app.router.add_post("/media/{media_id}/publish", publish)
    app.router.add_post("/media/{media_id}/publish-offloaded", publish_offloaded)
    app.router.add_post("/jobs", new_job)
    return app
