"""Celery tasks: process uploaded log bundles and images."""

from __future__ import annotations

import gzip
import re
from collections import Counter
from pathlib import Path

from celery import shared_task
from PIL import Image

ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b")


@shared_task
def count_errors(bundle_path: str) -> dict[str, int]:
    counts: Counter[str] = Counter()
    opener = gzip.open if bundle_path.endswith(".gz") else open
    with opener(bundle_path, "rt", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            match = ERROR_LINE.search(line)
            if match:
                counts[match.group(1)] += 1
    return dict(counts)


@shared_task
def tail_errors(bundle_path: str, keep: int = 200) -> list[str]:
    with open(bundle_path, encoding="utf-8", errors="replace") as handle:
        lines = handle.readlines()  # expect: RB502
    return [line for line in lines if ERROR_LINE.search(line)][-keep:]


@shared_task
def make_thumbnail(image_path: str, size: int = 320) -> str:
    source = Path(image_path)
    target = source.with_suffix(".thumb.jpg")
    with Image.open(source) as image:
        image.thumbnail((size, size))
        image.convert("RGB").save(target, "JPEG", quality=85)
    return str(target)
