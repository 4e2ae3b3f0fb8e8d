"""Flask + pymongo: the product catalogue service."""

from __future__ import annotations

import os

from bson import ObjectId
from flask import Flask, abort, jsonify, request
from pymongo import MongoClient, UpdateOne

app = Flask(__name__)
client = MongoClient(os.environ.get("MONGO_URL", "mongodb://mongo:27017"), serverSelectionTimeoutMS=3000)
db = client.catalog


def serialize(doc: dict) -> dict:
    doc["_id"] = str(doc["_id"])
    return doc


@app.get("/products")
def products():
    docs = list(db.products.find({"active": True}, {"name": 1, "price": 1, "sku": 1}))  # expect: RB501
    return jsonify([serialize(d) for d in docs])


@app.get("/products/page")
def products_page():
    page = max(request.args.get("page", 1, type=int), 1)
    size = min(request.args.get("size", 50, type=int), 200)
    cursor = db.products.find({"active": True}).sort("sku", 1).skip((page - 1) * size).limit(size)
    return jsonify([serialize(d) for d in cursor])


@app.get("/products/<product_id>")
def product(product_id: str):
    doc = db.products.find_one({"_id": ObjectId(product_id)})
    if doc is None:
        abort(404)
    return jsonify(serialize(doc))


@app.post("/products/prices")
def update_prices():
    changes = request.get_json()["prices"]
    for sku, price in changes.items():
        db.products.update_one({"sku": sku}, {"$set": {"price": price}})  # expect: RB102
    return jsonify({"updated": len(changes)})


@app.post("/products/stock")
def update_stock():
    changes = request.get_json()["stock"]
    operations = [UpdateOne({"sku": sku}, {"$set": {"stock": qty}}) for sku, qty in changes.items()]
    result = db.products.bulk_write(operations, ordered=False) if operations else None
    return jsonify({"modified": result.modified_count if result else 0})


@app.get("/customers/<customer_id>/summary")
def customer_summary(customer_id: str):
    orders = len(list(db.orders.find({"customer_id": customer_id})))  # expect: RB103, RB501
    open_tickets = db.tickets.count_documents({"customer_id": customer_id, "open": True})
    return jsonify({"orders": orders, "open_tickets": open_tickets})
