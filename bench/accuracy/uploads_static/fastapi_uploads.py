"""FastAPI: file uploads to S3 and CSV imports."""

from __future__ import annotations

import json
import shutil
import tempfile

import boto3
import pandas as pd
from fastapi import FastAPI, File, Request, UploadFile

app = FastAPI()
s3 = boto3.client("s3")
BUCKET = "customer-uploads"


@app.post("/files")
async def upload_file(file: UploadFile = File(...)):
    contents = await file.read()  # expect: RB502
    s3.put_object(Bucket=BUCKET, Key=f"files/{file.filename}", Body=contents)  # expect: RB201
    return {"key": f"files/{file.filename}", "size": len(contents)}


@app.post("/files/spooled")
def upload_file_spooled(file: UploadFile = File(...)):
    with tempfile.NamedTemporaryFile(delete=False) as tmp:
        shutil.copyfileobj(file.file, tmp, length=1024 * 1024)
    s3.upload_file(tmp.name, BUCKET, f"files/{file.filename}")
    return {"key": f"files/{file.filename}"}


@app.post("/imports/prices")
def import_prices(file: UploadFile = File(...)):
    frame = pd.read_csv(file.file)  # expect: RB502
    return {"rows": len(frame), "columns": list(frame.columns)}


@app.post("/imports/transactions")
def import_transactions(file: UploadFile = File(...)):
    rows = 0
    for chunk in pd.read_csv(file.file, chunksize=50_000):
        rows += len(chunk)
    return {"rows": rows}


@app.post("/webhooks/shipping")
async def shipping_webhook(request: Request):
    event = json.loads(await request.body())
    return {"received": event.get("id")}


@app.post("/raw/{name}")
async def store_raw(name: str, request: Request):
    body = await request.body()  # expect: RB502
    s3.put_object(Bucket=BUCKET, Key=f"raw/{name}", Body=body)  # expect: RB201
    return {"stored": name, "size": len(body)}
