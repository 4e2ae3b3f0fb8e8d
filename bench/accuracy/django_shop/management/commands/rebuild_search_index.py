"""Django management command: rebuild the product search index."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shop.models import Product
from shop.search import SearchIndex


class Command(BaseCommand):
    help = "Rebuild the product search documents from the database."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--only-active", action="store_true")

    def handle(self, *args, batch_size: int, only_active: bool, **options):
        index = SearchIndex.from_settings()
        products = Product.objects.order_by("pk")
        if only_active:
            products = products.filter(active=True)
        batch = []
        for product in products.iterator(chunk_size=batch_size):
            batch.append(
                {
                    "sku": product.sku,
                    "name": product.name,
                    "category": product.category.name,  # expect: RB101
                    "price": str(product.price),
                }
            )
            if len(batch) >= batch_size:
                index.bulk_upsert(batch)
                batch.clear()
        if batch:
            index.bulk_upsert(batch)
        self.stdout.write(self.style.SUCCESS("search index rebuilt"))
