"""FastAPI application factory: static assets in development, generated reports for users."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic_settings import BaseSettings

from reports.auth import current_user
from reports.storage import report_path_for

ASSETS = Path(__file__).parent / "assets"


class AppSettings(BaseSettings):
    debug: bool = False
    reports_dir: Path = Path("/var/lib/reports")


def create_app(settings: AppSettings | None = None) -> FastAPI:
    settings = settings or AppSettings()
    app = FastAPI(debug=settings.debug)

    if settings.debug:
        app.mount("/assets", StaticFiles(directory=ASSETS), name="assets")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return FileResponse(ASSETS / "favicon.ico", media_type="image/x-icon")  # expect: RB401

    @app.get("/reports/{report_id}.pdf")
    async def download_report(report_id: int, user=Depends(current_user)):
        path = report_path_for(settings.reports_dir, user.id, report_id)
        if path is None:
            raise HTTPException(404, "report not found")
        return FileResponse(path, media_type="application/pdf", filename=f"report-{report_id}.pdf")

    @app.get("/healthz")
    async def healthz():
        return {"ok": True}

    return app
