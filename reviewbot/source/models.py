"""The model index: which attributes of which ORM models are relations (lazy loads).

Built from the project's model definitions across files, so a loop in `views.py` knows that
`order.customer` is a foreign key declared in `models.py`. Covers Django (`ForeignKey`,
`OneToOneField`, `ManyToManyField`, `GenericRelation`, `GenericForeignKey` and their reverse
accessors), SQLAlchemy and Flask-SQLAlchemy (`relationship` with `lazy`, `backref`,
`back_populates`), SQLModel `Relationship`, Peewee `ForeignKeyField(backref=...)` and Tortoise
`fields.ForeignKeyField(related_name=...)`.

Only files whose bytes mention a model base or a relation field are parsed, and one compiled
query collects every class and relation field of a file in a single traversal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from tree_sitter import Node, QueryCursor

from reviewbot.source.parsing import compile_query, parse

FOREIGN_KEY = "foreign-key"
ONE_TO_ONE = "one-to-one"
MANY_TO_MANY = "many-to-many"
REVERSE = "reverse"
RELATIONSHIP = "relationship"
GENERIC = "generic"

# Loader strategies after which reading the attribute runs no query of its own.
EAGER_LOADER_STRATEGIES = frozenset(
    {"joined", "selectin", "subquery", "immediate", "raise", "raise_on_sql", "noload", "write_only", "false",
     "False"}
)

_MODEL_FILE_HINT = re.compile(
    rb"ForeignKey|OneToOneField|ManyToManyField|GenericRelation|GenericForeignKey|relationship\(|Relationship\("
    rb"|ParentalKey|models\.Model\b|db\.Model\b|DeclarativeBase|declarative_base|SQLModel|\(Model\)"
)
_RELATION_FUNCTIONS = (
    "ForeignKey|OneToOneField|ManyToManyField|GenericRelation|GenericForeignKey|ForeignKeyField|"
    "relationship|relation|Relationship|ParentalKey|ParentalManyToManyField|TreeForeignKey|"
    "TreeOneToOneField|TreeManyToManyField|DeferredForeignKey"
)
_INDEX_QUERY = compile_query(
    """
    (class_definition name: (identifier) @class.name superclasses: (argument_list) @class.bases)

    (class_definition
        name: (identifier) @field.class
        body: (block
            (expression_statement
                (assignment
                    left: (identifier) @field.name
                    right: (call function: (_) @field.function arguments: (argument_list) @field.arguments))
                @field.assignment)))

    (class_definition
        name: (identifier) @method.class
        body: (block [
            (function_definition name: (identifier) @method.name)
            (decorated_definition definition: (function_definition name: (identifier) @method.name))
        ])
        (#any-of? @method.name "save" "delete" "asave" "adelete"))
    """
)
_RELATION_FUNCTION = re.compile(f"(?:^|[.])(?:{_RELATION_FUNCTIONS})$")
_MODEL_BASE = re.compile(r"(^|\.)(\w*Model|Base|\w*Base|SQLModel|Document|MPTTModel|TimeStampedModel)$")
_DJANGO_USER_MODEL = ("AUTH_USER_MODEL", "get_user_model")


@dataclass(frozen=True, slots=True)
class Relation:
    model: str  # the model declaring or receiving the relation
    attribute: str  # the attribute name on `model` (`customer`, `orders`, `order_set`)
    target: str | None  # the related model, when known
    kind: str  # "foreign-key", "one-to-one", "many-to-many", "reverse", "relationship", "generic"
    lazy: str = "select"  # SQLAlchemy loader strategy; "select" (lazy) unless configured
    many: bool = False  # True when the attribute is a collection (reverse FK, M2M, uselist)
    framework: str = ""  # "django", "sqlalchemy", "peewee", "tortoise" or "" when unknown
    declared_as: str = ""  # the field as written in the model: `ForeignKey`, `relationship`, `backref`
    path: str = ""  # the file that declares it
    via: str = ""  # the attribute on the related model that points back (`order` for `Order.lines`)

    @property
    def loads_lazily(self) -> bool:
        """Whether reading the attribute runs a query unless the rows were loaded with it."""
        return self.lazy not in EAGER_LOADER_STRATEGIES

    def kind_phrase(self) -> str:
        """What kind of relation this is: "a ForeignKey", "a reverse relation", "a lazy relationship"."""
        if self.kind == REVERSE:
            return "a reverse relation"
        if self.declared_as in ("relationship", "relation", "Relationship"):
            return "a lazy relationship"
        if self.declared_as == "backref":
            return "a lazy backref"
        return f"a {self.declared_as or self.kind}"

    def describe(self) -> str:
        """A short phrase naming what the attribute is: "a ForeignKey of `Order`"."""
        if self.kind == REVERSE and self.target:
            return f"a reverse relation of `{self.model}` (from `{self.target}`)"
        return f"{self.kind_phrase()} of `{self.model}`"


@dataclass
class ModelIndex:
    """Model name -> attribute -> Relation, with the models' frameworks and base classes."""

    relations: dict[str, dict[str, Relation]] = field(default_factory=dict)
    frameworks: dict[str, str] = field(default_factory=dict)  # model -> framework
    fields: dict[str, set[str]] = field(default_factory=dict)  # model -> its other fields (columns)
    bases: dict[str, tuple[str, ...]] = field(default_factory=dict)  # model -> base class names
    # class -> the write methods it defines itself (`save`, `delete`): a bulk statement would skip them
    overridden: dict[str, set[str]] = field(default_factory=dict)
    _by_attribute: dict[str, list[Relation]] | None = field(default=None, repr=False)

    def relation(self, model: str | None, attribute: str) -> Relation | None:
        """The relation `attribute` of `model` or of one of its indexed base classes."""
        for current in self._lineage(model):
            found = self.relations.get(current, {}).get(attribute)
            if found is not None:
                return found
        return None

    def overrides(self, model: str | None, method: str) -> bool:
        """Whether `model` or one of its indexed base classes defines `method` (`save`, `delete`)."""
        return any(method in self.overridden.get(current, ()) for current in self._lineage(model))

    def _lineage(self, model: str | None) -> Iterator[str]:
        """`model` and its indexed base classes, each once (at most 16: cycles and deep trees end)."""
        if model is None:
            return
        seen: set[str] = set()
        pending = [model]
        while pending and len(seen) < 16:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            yield current
            pending.extend(self.bases.get(current, ()))

    def relations_named(self, attribute: str) -> list[Relation]:
        """Every indexed relation called `attribute`, on any model."""
        if self._by_attribute is None:
            by_attribute: dict[str, list[Relation]] = {}
            for attributes in self.relations.values():
                for relation in attributes.values():
                    by_attribute.setdefault(relation.attribute, []).append(relation)
            self._by_attribute = by_attribute
        return self._by_attribute.get(attribute, [])

    def is_plain_field_somewhere(self, attribute: str) -> bool:
        """Whether some indexed model has a column (not a relation) called `attribute`."""
        return any(attribute in names for names in self.fields.values())

    def models(self) -> set[str]:
        return set(self.relations) | set(self.frameworks)

    def is_model(self, name: str | None) -> bool:
        return name is not None and (name in self.frameworks or name in self.relations)

    def framework(self, model: str | None) -> str:
        return self.frameworks.get(model, "") if model else ""

    def model_named(self, lowercase: str) -> str | None:
        """The model whose lower-cased name is `lowercase` (`order` -> `Order`), when unique."""
        matches = [m for m in self.models() if m.lower() == lowercase]
        return matches[0] if len(matches) == 1 else None

    def add(self, relation: Relation) -> None:
        attributes = self.relations.setdefault(relation.model, {})
        # A relation declared on the model itself wins over one inferred from the other side.
        if relation.attribute not in attributes or attributes[relation.attribute].kind == REVERSE:
            attributes[relation.attribute] = relation
        self._by_attribute = None


def build_model_index(files: Mapping[str, bytes]) -> ModelIndex:
    """Index the models defined in `files`. Only files that mention a model base or a relation
    field are parsed."""
    index = ModelIndex()
    for path in sorted(files):
        data = files[path]
        if not path.endswith(".py") or not _MODEL_FILE_HINT.search(data):
            continue
        try:
            tree = parse(data)
        except Exception:  # the index is best effort; the file's own analysis reports the problem
            continue
        _index_file(index, path, data, tree.root_node)
    _inherit_frameworks(index)
    return index


def _index_file(index: ModelIndex, path: str, data: bytes, root: Node) -> None:
    framework = _file_framework(data)
    for _, match in QueryCursor(_INDEX_QUERY).matches(root):
        if "class.name" in match:
            name = _text(match["class.name"][0])
            bases = tuple(_text(b) for b in match["class.bases"][0].named_children
                          if b.type in ("identifier", "attribute"))
            if bases:
                index.bases[name] = tuple(b.rsplit(".", 1)[-1] for b in bases)
            # `BaseModel` is pydantic's unless the project defines it as a model base itself
            if framework and any(_MODEL_BASE.search(b) and not b.endswith("BaseModel") for b in bases):
                index.frameworks.setdefault(name, framework)
            continue
        if "method.class" in match:
            index.overridden.setdefault(_text(match["method.class"][0]), set()).add(_text(match["method.name"][0]))
            continue
        model = _text(match["field.class"][0])
        written = _text(match["field.function"][0])
        if not _RELATION_FUNCTION.search(written):
            index.fields.setdefault(model, set()).add(_text(match["field.name"][0]))
            continue
        function = written.rsplit(".", 1)[-1]
        assignment = match["field.assignment"][0]
        for relation in _relations_of_field(
            model=model,
            attribute=_text(match["field.name"][0]),
            function=function,
            arguments=match["field.arguments"][0],
            annotation=assignment.child_by_field_name("type"),
            framework=_field_framework(function, framework),
            path=path,
        ):
            index.add(relation)
            if relation.framework:
                index.frameworks.setdefault(relation.model, relation.framework)
                if relation.target:
                    index.frameworks.setdefault(relation.target, relation.framework)


def _inherit_frameworks(index: ModelIndex) -> None:
    """A class deriving from an indexed model (an abstract base, a mixin model) is a model too."""
    for _ in range(4):
        changed = False
        for name, bases in index.bases.items():
            if name in index.frameworks:
                continue
            for base in bases:
                if base in index.frameworks:
                    index.frameworks[name] = index.frameworks[base]
                    changed = True
                    break
        if not changed:
            return


def _file_framework(data: bytes) -> str:
    if b"tortoise" in data:
        return "tortoise"
    if b"peewee" in data or b"playhouse" in data:
        return "peewee"
    if b"django" in data:
        return "django"
    if b"sqlalchemy" in data or b"sqlmodel" in data or b"db.Model" in data:
        return "sqlalchemy"
    return ""


def _field_framework(function: str, file_framework: str) -> str:
    if function in ("relationship", "relation", "Relationship"):
        return "sqlalchemy"
    if function in ("ForeignKeyField", "DeferredForeignKey"):
        return "tortoise" if file_framework == "tortoise" else "peewee"
    if file_framework in ("tortoise", "peewee"):
        return file_framework
    return "django"


def _relations_of_field(*, model: str, attribute: str, function: str, arguments: Node, annotation: Node | None,
                        framework: str, path: str) -> list[Relation]:
    keywords = _keyword_arguments(arguments)
    positional = [a for a in arguments.named_children if a.type not in ("keyword_argument", "comment",
                                                                        "list_splat", "dictionary_splat")]
    if framework == "sqlalchemy":
        return _sqlalchemy_relations(model, attribute, function, positional, keywords, annotation, path)
    target_node = keywords.get("to") or keywords.get("model") or keywords.get("model_name") or (
        positional[0] if positional else None)
    target = _model_reference(target_node, model)
    if function == "GenericForeignKey":
        return [Relation(model, attribute, None, GENERIC, framework=framework, declared_as=function, path=path)]
    if function == "GenericRelation":
        return [Relation(model, attribute, target, GENERIC, many=True, framework=framework, declared_as=function,
                         path=path)]
    if "ManyToMany" in function:
        kind, many = MANY_TO_MANY, True
    elif "OneToOne" in function:
        kind, many = ONE_TO_ONE, False
    else:
        kind, many = FOREIGN_KEY, False
    reverse_name = _reverse_name(keywords, model, kind, framework)
    found = [Relation(model, attribute, target, kind, many=many, framework=framework, declared_as=function,
                      path=path, via=reverse_name or "")]
    if target and reverse_name:
        found.append(Relation(target, reverse_name, model, REVERSE, many=kind != ONE_TO_ONE, framework=framework,
                              declared_as=function, path=path, via=attribute))
    return found


def _reverse_name(keywords: dict[str, Node], model: str, kind: str, framework: str) -> str | None:
    """The accessor the relation adds to its target: `related_name`/`backref`, or the default."""
    explicit = keywords.get("related_name") or keywords.get("backref")
    if explicit is not None:
        name = _string_value(explicit)
        if name is None or name.endswith("+") or not name:
            return None
        name = name.replace("%(class)s", model.lower()).replace("{model}", model.lower())
        return name if name.isidentifier() else None
    if framework == "tortoise":
        return f"{model.lower()}s"
    if kind == ONE_TO_ONE and framework == "django":
        return model.lower()
    return f"{model.lower()}_set"


def _sqlalchemy_relations(model: str, attribute: str, function: str, positional: list[Node],
                          keywords: dict[str, Node], annotation: Node | None, path: str) -> list[Relation]:
    target = _model_reference(positional[0], model) if positional else None
    many: bool | None = None
    if annotation is not None:
        annotated, annotated_many = _mapped_target(annotation)
        target = target or annotated
        many = annotated_many
    if "argument" in keywords and target is None:
        target = _model_reference(keywords["argument"], model)
    uselist = keywords.get("uselist")
    if uselist is not None:
        many = uselist.type == "true"
    lazy = _loader_strategy(keywords)
    if many is None:
        many = attribute.endswith("s")
    backref = keywords.get("backref")
    name, backref_lazy = _backref(backref) if backref is not None else (None, "select")
    back_populates = _string_value(keywords.get("back_populates"))
    found = [Relation(model, attribute, target, RELATIONSHIP, lazy=lazy, many=many, framework="sqlalchemy",
                      declared_as=function, path=path, via=back_populates or name or "")]
    if name and target:
        found.append(Relation(target, name, model, RELATIONSHIP, lazy=backref_lazy, many=not many,
                              framework="sqlalchemy", declared_as="backref", path=path, via=attribute))
    return found


def _loader_strategy(keywords: dict[str, Node]) -> str:
    lazy = keywords.get("lazy")
    if lazy is not None:
        if lazy.type in ("true", "false", "none"):
            return {"true": "select", "false": "joined", "none": "noload"}[lazy.type]
        return _string_value(lazy) or "select"
    options = keywords.get("sa_relationship_kwargs")  # SQLModel passes loader options through a dict
    if options is not None and options.type == "dictionary":
        for pair in options.named_children:
            key = pair.child_by_field_name("key")
            value = pair.child_by_field_name("value")
            if pair.type == "pair" and key is not None and value is not None and _string_value(key) == "lazy":
                return _string_value(value) or "select"
    return "select"


def _backref(node: Node) -> tuple[str | None, str]:
    """`backref="orders"` or `backref=backref("orders", lazy="dynamic")`."""
    if node.type == "call":
        arguments = node.child_by_field_name("arguments")
        if arguments is None:
            return None, "select"
        positional = [a for a in arguments.named_children if a.type != "keyword_argument"]
        name = _string_value(positional[0]) if positional else None
        return name, _loader_strategy(_keyword_arguments(arguments))
    return _string_value(node), "select"


def _mapped_target(annotation: Node) -> tuple[str | None, bool | None]:
    """`Mapped["Customer"]` -> ("Customer", False); `Mapped[list["Item"]]` -> ("Item", True)."""
    text = _text(annotation).replace(" ", "").replace('"', "").replace("'", "")
    match = re.fullmatch(r"(?:\w+\.)*Mapped\[(.*)\]", text)
    if match is None:
        return None, None
    inner = match.group(1)
    collection = re.fullmatch(r"(?:typing\.)?(?:List|list|Set|set|Sequence|Collection|Iterable|DynamicMapped|"
                              r"WriteOnlyMapped)\[(.*)\]", inner)
    many = collection is not None
    if collection is not None:
        inner = collection.group(1)
    optional = re.fullmatch(r"(?:typing\.)?Optional\[(.*)\]", inner)
    if optional is not None:
        inner = optional.group(1)
    inner = inner.replace("|None", "").replace("None|", "")
    name = inner.rsplit(".", 1)[-1]
    return (name if name.isidentifier() else None), many


def _model_reference(node: Node | None, own_model: str) -> str | None:
    """The model a relation points to: `Customer`, `"Customer"`, `"shop.Customer"`,
    `"models.Customer"`, `"self"`, `settings.AUTH_USER_MODEL`, `lambda: Customer`."""
    if node is None:
        return None
    if node.type == "lambda":
        body = node.child_by_field_name("body")
        return _model_reference(body, own_model)
    if node.type == "string":
        value = _string_value(node)
        if not value:
            return None
        if value == "self":
            return own_model
        name = value.rsplit(".", 1)[-1]
        return name if name.isidentifier() else None
    if node.type in ("identifier", "attribute"):
        text = _text(node)
        if text.endswith(_DJANGO_USER_MODEL):
            return "User"
        return text.rsplit(".", 1)[-1]
    if node.type == "call":
        function = node.child_by_field_name("function")
        if function is not None and _text(function).endswith("get_user_model"):
            return "User"
    return None


def _keyword_arguments(arguments: Node) -> dict[str, Node]:
    result: dict[str, Node] = {}
    for argument in arguments.named_children:
        if argument.type == "keyword_argument":
            name = argument.child_by_field_name("name")
            value = argument.child_by_field_name("value")
            if name is not None and value is not None:
                result[_text(name)] = value
    return result


def string_value(node: Node | None) -> str | None:
    """The value of a plain string literal (no f-string interpolation, no concatenation)."""
    return _string_value(node)


def _string_value(node: Node | None) -> str | None:
    if node is None or node.type != "string":
        return None
    parts = []
    for child in node.named_children:
        if child.type == "interpolation":
            return None
        if child.type == "string_content":
            parts.append(_text(child))
    return "".join(parts)


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""
