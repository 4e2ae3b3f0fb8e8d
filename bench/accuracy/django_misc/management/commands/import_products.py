"""Django management command: import the supplier product catalogue from CSV."""

from __future__ import annotations

import csv
from itertools import islice

from django.core.management.base import BaseCommand
from django.db import transaction

from catalog.models import Brand, Product


def chunked(iterable, size):
    iterator = iter(iterable)
    while batch := list(islice(iterator, size)):
        yield batch


class Command(BaseCommand):
    help = "Import or update products from a supplier CSV export."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--update-prices", action="store_true")

    def handle(self, path: str, update_prices: bool, **options):
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        brands = {brand.name: brand for brand in Brand.objects.all()}
        with transaction.atomic():
            for row in rows:
                Product.objects.update_or_create(  # expect: RB102
                    sku=row["sku"],
                    defaults={"name": row["name"], "brand": brands.get(row["brand"])},
                )
        if update_prices:
            self.update_prices(rows)
        self.stdout.write(f"imported {len(rows)} rows")

    def update_prices(self, rows):
        for batch in chunked(rows, 500):
            prices = {row["sku"]: row["price"] for row in batch}
            products = list(Product.objects.filter(sku__in=prices))
            for product in products:
                product.price = prices[product.sku]
            Product.objects.bulk_update(products, ["price"])
