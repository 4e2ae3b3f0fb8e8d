"""The cross-file model index: which attributes of which models are relations."""

from __future__ import annotations

from textwrap import dedent

from reviewbot import Config, analyze
from reviewbot.source.models import ModelIndex, Relation, build_model_index


def index_of(**files: str) -> ModelIndex:
    return build_model_index({path.replace("__", "/") + ".py": dedent(text).encode() for path, text in files.items()})


DJANGO_MODELS = """
    from django.conf import settings
    from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
    from django.db import models


    class Audited(models.Model):
        changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

        class Meta:
            abstract = True


    class Customer(models.Model):
        user = models.OneToOneField("auth.User", on_delete=models.CASCADE)
        referrer = models.ForeignKey("self", null=True, on_delete=models.SET_NULL, related_name="referrals")


    class Order(Audited):
        customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
        coupons = models.ManyToManyField("shop.Coupon", related_name="%(class)s_uses")
        tags = GenericRelation("TaggedItem")


    class Coupon(models.Model):
        code = models.CharField(max_length=20)


    class Shipment(models.Model):
        order = models.ForeignKey(to=Order, on_delete=models.CASCADE)


    class TaggedItem(models.Model):
        content_object = GenericForeignKey("content_type", "object_id")
    """


def test_django_forward_relations_with_their_kind_and_target():
    index = index_of(shop__models=DJANGO_MODELS)
    assert index.relation("Order", "customer") == Relation(
        "Order", "customer", "Customer", "foreign-key", framework="django", declared_as="ForeignKey",
        path="shop/models.py", via="orders",
    )
    assert index.relation("Order", "coupons").kind == "many-to-many"
    assert index.relation("Order", "coupons").target == "Coupon"  # "app.Model" strings keep the class name
    assert index.relation("Order", "coupons").many
    assert index.relation("Customer", "user").target == "User"
    assert index.relation("Customer", "referrer").target == "Customer"  # "self"
    assert index.relation("Shipment", "order").target == "Order"  # to= keyword
    assert index.relation("TaggedItem", "content_object").kind == "generic"
    assert index.relation("Order", "tags").many


def test_django_reverse_accessors():
    index = index_of(shop__models=DJANGO_MODELS)
    orders = index.relation("Customer", "orders")
    assert (orders.kind, orders.target, orders.many, orders.via) == ("reverse", "Order", True, "customer")
    assert index.relation("Order", "shipment_set").target == "Shipment"  # default <model>_set
    assert not index.relation("User", "customer").many  # one-to-one reverse defaults to <model>
    assert index.relation("Coupon", "order_uses") is not None  # %(class)s is the declaring model
    assert index.relation("Customer", "referrals").target == "Customer"


def test_related_name_plus_adds_no_reverse_accessor():
    index = index_of(shop__models=DJANGO_MODELS)
    assert all(r.model != "User" or r.attribute != "order_set" for r in index.relations_named("order_set"))
    assert index.relation("User", "+") is None


def test_relations_are_inherited_from_indexed_bases():
    index = index_of(shop__models=DJANGO_MODELS)
    assert index.relation("Order", "changed_by").model == "Audited"
    assert index.relation("Order", "changed_by").target == "User"
    assert index.framework("Order") == "django"
    assert index.relation("Order", "not_a_field") is None
    assert index.relation(None, "customer") is None


def test_sqlalchemy_declarative_relationships():
    index = index_of(blog__models="""
        from sqlalchemy import ForeignKey
        from sqlalchemy.orm import DeclarativeBase, Mapped, backref, mapped_column, relationship


        class Base(DeclarativeBase):
            pass


        class Author(Base):
            __tablename__ = "authors"
            id: Mapped[int] = mapped_column(primary_key=True)
            posts: Mapped[list["Post"]] = relationship(back_populates="author", lazy="selectin")
            profile: Mapped["Profile | None"] = relationship()


        class Post(Base):
            __tablename__ = "posts"
            author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
            author: Mapped[Author] = relationship(back_populates="posts")
            comments = relationship("Comment", backref=backref("post", lazy="joined"), lazy="dynamic")
            editor = relationship("Author", uselist=False, lazy=False)
    """)
    posts = index.relation("Author", "posts")
    assert (posts.target, posts.many, posts.lazy, posts.loads_lazily) == ("Post", True, "selectin", False)
    assert index.relation("Author", "profile").target == "Profile"
    assert not index.relation("Author", "profile").many
    author = index.relation("Post", "author")
    assert (author.target, author.many, author.lazy, author.loads_lazily) == ("Author", False, "select", True)
    assert index.relation("Post", "comments").lazy == "dynamic"
    assert index.relation("Comment", "post").lazy == "joined"  # from backref(..., lazy="joined")
    assert index.relation("Comment", "post").declared_as == "backref"
    assert (index.relation("Comment", "post").via, index.relation("Post", "comments").via) == ("comments", "post")
    assert index.relation("Author", "posts").via == "author"  # back_populates
    assert index.relation("Post", "editor").lazy == "joined"  # lazy=False is the legacy spelling
    assert index.relation("Post", "author_id") is None  # a column, not a relation
    assert index.framework("Post") == "sqlalchemy"


def test_flask_sqlalchemy_and_sqlmodel():
    index = index_of(
        app__models="""
            from flask_sqlalchemy import SQLAlchemy

            db = SQLAlchemy()


            class Team(db.Model):
                members = db.relationship("Member", backref="team", lazy=True)
        """,
        api__tables="""
            from sqlmodel import Field, Relationship, SQLModel


            class Hero(SQLModel, table=True):
                team: "Squad" = Relationship(back_populates="heroes", sa_relationship_kwargs={"lazy": "selectin"})
        """,
    )
    assert index.relation("Team", "members").lazy == "select"  # lazy=True is the default loader
    assert index.relation("Member", "team").target == "Team"
    assert index.relation("Hero", "team").lazy == "selectin"


def test_peewee_and_tortoise():
    index = index_of(
        tweets="""
            from peewee import ForeignKeyField, Model


            class User(Model):
                pass


            class Tweet(Model):
                user = ForeignKeyField(User, backref="tweets")
                reply_to = ForeignKeyField("self", null=True)
        """,
        events="""
            from tortoise import fields
            from tortoise.models import Model


            class Event(Model):
                tournament = fields.ForeignKeyField("models.Tournament", related_name="events")
                venue = fields.ForeignKeyField("models.Venue")
                teams = fields.ManyToManyField("models.Team", related_name=False)
        """,
    )
    assert index.relation("Tweet", "user").framework == "peewee"
    assert index.relation("User", "tweets").many
    assert index.relation("Tweet", "tweet_set").target == "Tweet"  # Peewee's default backref
    assert index.relation("Event", "tournament").framework == "tortoise"
    assert index.relation("Tournament", "events").target == "Event"
    assert index.relation("Venue", "events").target == "Event"  # Tortoise default: <model>s
    assert index.relation("Event", "teams").many
    assert index.relation("Team", "events") is None  # related_name=False: no reverse accessor
    assert index.framework("User") == "peewee"


def test_only_python_files_are_indexed_and_broken_files_do_not_stop_it():
    index = build_model_index({
        "docs/models.md": b"class Invoice(models.Model):\n    order = models.ForeignKey(Order)\n",
        "shop/util.py": b"def helper():\n    return 1\n",
        "shop/broken.py": b"class Refund(models.Model):\n    order = models.ForeignKey(\n",
        "shop/empty.py": b"",
        "shop/models.py": b"from django.db import models\n\nclass Box(models.Model):\n    owner = models.ForeignKey(Owner)\n",
    })
    assert index.relation("Invoice", "order") is None
    assert index.relation("Box", "owner").target == "Owner"
    assert build_model_index({}).models() == set()


def test_lookups_by_attribute_and_lowercase_name():
    index = index_of(shop__models=DJANGO_MODELS)
    assert {r.model for r in index.relations_named("customer")} == {"Order", "User"}  # FK and reverse one-to-one
    assert index.model_named("shipment") == "Shipment"
    assert index.model_named("nothing") is None
    assert index.is_model("Coupon") and not index.is_model("Nothing")


def test_relation_descriptions_name_the_field():
    index = index_of(shop__models=DJANGO_MODELS)
    assert index.relation("Order", "customer").describe() == "a ForeignKey of `Order`"
    assert index.relation("Customer", "orders").describe() == "a reverse relation of `Customer` (from `Order`)"


VIEWS = """
    from shop.models import Order


    def order_emails(request):
        return [order.customer.email for order in Order.objects.filter(status="paid")]
"""


def test_relations_declared_in_another_file_are_found():
    files = {"shop/models.py": dedent(DJANGO_MODELS).encode(), "shop/views.py": dedent(VIEWS).encode()}
    result = analyze(files, config=Config(select=frozenset({"RB101"})))
    assert [(f.path, f.line) for f in result.findings] == [("shop/views.py", 6)]
    assert "`order.customer` is a ForeignKey of `Order`" in result.findings[0].message


def test_model_sources_are_indexed_but_not_reported_on():
    result = analyze(
        {"shop/views.py": dedent(VIEWS).encode()},
        config=Config(select=frozenset({"RB101"})),
        model_sources={"shop/models.py": dedent(DJANGO_MODELS).encode()},
    )
    assert [(f.path, f.line) for f in result.findings] == [("shop/views.py", 6)]


def test_without_the_models_an_unknown_relation_is_not_reported():
    result = analyze({"shop/views.py": dedent(VIEWS).encode()}, config=Config(select=frozenset({"RB101"})))
    assert result.findings == []


def test_a_prebuilt_index_is_used_as_given():
    models = build_model_index({"shop/models.py": dedent(DJANGO_MODELS).encode()})
    result = analyze({"shop/views.py": dedent(VIEWS).encode()}, config=Config(select=frozenset({"RB101"})),
                     models=models)
    assert len(result.findings) == 1


def test_models_that_override_save_or_delete_are_known_through_their_bases():
    index = index_of(ledger__models="""
        from django.db import models, transaction


        class Stamped(models.Model):
            def save(self, *args, **kwargs):
                super().save(*args, **kwargs)

            class Meta:
                abstract = True


        class Entry(Stamped):
            amount = models.IntegerField()

            @transaction.atomic
            def delete(self, *args, **kwargs):
                super().delete(*args, **kwargs)

            def clean(self):
                pass


        class Plain(models.Model):
            amount = models.IntegerField()
        """)
    assert index.overrides("Entry", "save")  # inherited from the abstract base
    assert index.overrides("Entry", "delete")  # a decorated override counts
    assert not index.overrides("Entry", "clean")  # only the ORM write methods are recorded
    assert not index.overrides("Plain", "save")
    assert not index.overrides(None, "save")
