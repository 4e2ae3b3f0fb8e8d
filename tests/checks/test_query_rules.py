"""The query rules (RB101, RB102, RB103): their messages, severities and how they share a loop."""

from __future__ import annotations

from textwrap import dedent

from reviewbot import Config, analyze
from reviewbot.findings import Severity

MODELS = """
    from django.db import models


    class Customer(models.Model):
        name = models.CharField(max_length=80)


    class Order(models.Model):
        number = models.CharField(max_length=20)
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
"""


def run(code: str, *codes: str, path: str = "shop/services.py", with_models: bool = True):
    files = {path: dedent(code).encode()}
    if with_models:
        files["shop/models.py"] = dedent(MODELS).encode()
    result = analyze(files, config=Config(select=frozenset(codes)))
    assert not [e for e in result.errors if e.kind == "internal"], result.errors
    return [f for f in result.findings if f.path == path]


def test_n_plus_one_message_names_the_rows_the_relation_and_the_fix():
    [finding] = run(
        """
        from shop.models import Order


        def export():
            orders = Order.objects.filter(number__startswith="A")
            return [(order.number, order.customer.name) for order in orders]
        """,
        "RB101",
    )
    assert finding.line == 7
    assert finding.message == (
        "1 query per row of `orders` (loaded at line 6): `order.customer` is a ForeignKey of `Order`; "
        'add `select_related("customer")`'
    )
    assert finding.severity is Severity.WARNING
    assert (finding.name, finding.category, finding.principle) == ("n-plus-one-query", "n-plus-one",
                                                                   "query-optimization")


def test_query_in_loop_message_names_the_loop_and_the_bulk_form():
    [finding] = run(
        """
        from shop.models import Customer


        def import_customers(names):
            for name in names:
                Customer.objects.create(name=name)
        """,
        "RB102",
    )
    assert finding.message == (
        "`Customer.objects.create(...)` runs an INSERT on every iteration of the loop over `names` (line 6); "
        "build the objects and save them with one `bulk_create()`"
    )


def test_len_of_queryset_message_and_existence_counts_at_info():
    findings = run(
        """
        from shop.models import Order


        def stats():
            paid = len(Order.objects.filter(number__startswith="P"))
            any_open = Order.objects.filter(number__startswith="O").count() > 0
            return paid, any_open
        """,
        "RB103",
    )
    assert [(f.line, f.severity) for f in findings] == [(6, Severity.WARNING), (7, Severity.INFO)]
    assert findings[0].message == (
        "`len(Order.objects.filter(...))` loads every row only to count them; use `Order.objects.filter(...).count()`"
    )
    assert findings[1].message == (
        "`Order.objects.filter(...).count() > 0` counts every matching row to test for one; "
        "use `Order.objects.filter(...).exists()`"
    )


LOOPS = """
    from shop.models import Customer, Order


    def touch_orders(numbers):
        for order in Order.objects.all():
            Customer.objects.filter(pk=order.customer_id).update(name="x")
        for number in numbers:
            Order.objects.filter(number=number).update(number=number.upper())
"""


def test_a_query_in_a_loop_is_reported_by_exactly_one_rule():
    findings = run(LOOPS, "RB101", "RB102")
    assert [(f.rule, f.line) for f in findings] == [("RB101", 7), ("RB102", 9)]
    assert findings[0].message.startswith("1 query per row of `Order.objects.all()` (loaded at line 6): ")


def test_migrations_are_reported_at_a_lowered_severity():
    [finding] = run(LOOPS, "RB102", path="shop/migrations/0004_upper_numbers.py")
    assert finding.severity is Severity.INFO
    assert finding.context == "migration"


def test_handlers_and_tasks_are_reported_at_a_raised_severity():
    findings = run(
        """
        from celery import shared_task
        from django.http import JsonResponse

        from shop.models import Order


        def order_list(request):
            return JsonResponse({"customers": [o.customer.name for o in Order.objects.all()]})


        @shared_task
        def rename(numbers):
            for number in numbers:
                Order.objects.filter(number=number).update(number=number.upper())
        """,
        "RB101", "RB102",
    )
    assert [(f.rule, f.severity, f.context) for f in findings] == [
        ("RB101", Severity.ERROR, "handler"),
        ("RB102", Severity.ERROR, "task"),
    ]


def test_findings_can_be_silenced_on_their_line():
    findings = run(
        """
        from shop.models import Order


        def export():
            return [o.customer.name for o in Order.objects.all()]  # noqa: RB101
        """,
        "RB101",
    )
    assert findings == []


def test_rules_skip_files_without_queries():
    code = """
        def totals(rows):
            return {row["id"]: len(row["items"]) for row in rows if row.get("items")}
    """
    assert run(code, "RB101", "RB102", "RB103", with_models=False) == []
