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


def test_test_files_are_not_reported():
    code = """
        from shop.models import Customer, Order


        def test_orders():
            for name in ("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"):
                Customer.objects.create(name=name)
            assert [o.customer.name for o in Order.objects.all()] == []
            assert len(Order.objects.filter(number="x")) == 0
        """
    assert run(code, "RB101", "RB102", "RB103", path="shop/tests/test_orders.py") == []
    assert {f.rule for f in run(code, "RB101", "RB102", "RB103", path="shop/fixtures_loader.py")} == {
        "RB101", "RB102"}  # outside the test paths the loops are reported; the assertion's len() is not


INVARIANT_IN_LOOP = """
    from shop.models import Customer, Order


    def owners(numbers):
        found = {}
        for number in numbers:
            default = Customer.objects.get(name="default")
            found[number] = Order.objects.filter(number=number, customer=default).first()
        return found
"""


def test_a_query_with_the_same_arguments_each_time_is_left_to_the_loop_invariant_rule():
    findings = run(INVARIANT_IN_LOOP, "RB102", "RB304")
    assert [(f.rule, f.line) for f in findings] == [("RB304", 8), ("RB102", 9)]
    assert findings[0].message.startswith("`Customer.objects.get(...)` runs the same query on every iteration")


def test_without_the_loop_invariant_rule_the_repeated_query_is_reported_as_query_in_loop():
    findings = run(INVARIANT_IN_LOOP, "RB102")
    assert [(f.rule, f.line) for f in findings] == [("RB102", 8), ("RB102", 9)]


def test_existence_by_len_of_sqlalchemy_rows_suggests_an_exists_query():
    [finding] = run(
        """
        from sqlalchemy import select

        from shop.models import Order


        def has_orders(session):
            rows = session.scalars(select(Order).where(Order.number == "A1")).all()
            return len(rows) > 0
        """,
        "RB103",
    )
    assert finding.message == (
        "`len(rows)` loads every row (loaded at line 8) only to count them; use an `EXISTS` query "
        "(`session.scalar(select(exists().where(...)))`) or `.first()` on the query"
    )


def test_a_helper_is_reported_when_it_looks_up_data_by_the_row():
    findings = run(
        """
        from shop.models import Customer, Order


        def owner_of(order):
            return Customer.objects.filter(pk=order.customer_id).first()


        def default_owner(order):
            return Customer.objects.filter(name="default").first()


        def export():
            return [(owner_of(o), default_owner(o)) for o in Order.objects.all()]
        """,
        "RB101",
    )
    assert [(f.line, f.message) for f in findings] == [(14, (
        "1 query per row of `Order.objects.all()` (loaded at line 14): `owner_of(o)` runs "
        "`Customer.objects.filter(...).first()` (line 6) for every row; fetch them all at once with "
        "`in_bulk(ids)` or `filter(pk__in=ids)`"))]
