"""Django views and helpers: S3, Redis and Elasticsearch clients of the media service."""

from __future__ import annotations

from functools import lru_cache

import boto3
import redis
from django.conf import settings
from django.http import JsonResponse
from elasticsearch import Elasticsearch

REDIS_POOL = redis.ConnectionPool.from_url(settings.REDIS_URL, max_connections=50)
REGIONS = ("eu-west-1", "us-east-1", "ap-southeast-2")


@lru_cache(maxsize=1)
def s3_client():
    return boto3.client("s3", region_name=settings.AWS_REGION)


def presigned_upload(request, media_id: int):
    url = s3_client().generate_presigned_url(
        "put_object", Params={"Bucket": settings.MEDIA_BUCKET, "Key": f"media/{media_id}"}, ExpiresIn=600
    )
    return JsonResponse({"url": url})


def delete_media(request, media_id: int):
    s3 = boto3.client("s3", region_name=settings.AWS_REGION)  # expect: RB303
    s3.delete_object(Bucket=settings.MEDIA_BUCKET, Key=f"media/{media_id}")
    return JsonResponse({"deleted": media_id})


def media_search(request):
    es = Elasticsearch(settings.ELASTICSEARCH_URL, request_timeout=5)  # expect: RB303
    hits = es.search(index="media", query={"match": {"title": request.GET.get("q", "")}}, size=20)
    return JsonResponse({"hits": [hit["_source"] for hit in hits["hits"]["hits"]]})


def view_count(request, media_id: int):
    client = redis.Redis(connection_pool=REDIS_POOL)
    return JsonResponse({"views": int(client.get(f"media-views:{media_id}") or 0)})


def replication_status() -> dict[str, int]:
    status = {}
    for region in REGIONS:
        s3 = boto3.client("s3", region_name=region)
        status[region] = s3.list_objects_v2(Bucket=f"{settings.MEDIA_BUCKET}-{region}", MaxKeys=1)["KeyCount"]
    return status
