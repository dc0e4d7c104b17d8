"""store: an event-sourced configuration store for ML training configs.

import store
cfg = store.current("my_run")          # the effective config, from $STORE_URL
with store.open("sqlite:///runs.db") as s:
    s.create("my_run", {"optimizer.learning_rate": 3e-4})
    s.update("my_run", {"batch_size": 8}, message="bigger batches")
    s.rollback("my_run", to=1)
"""

import typing as _typing

from store._errors import (
    AppendOnlyViolation,
    Conflict,
    DatabaseError,
    DatabaseTooNew,
    FilesRefused,
    InvalidChange,
    InvalidConfigFile,
    InvalidReference,
    InvalidRunName,
    NoChange,
    NoDatabase,
    RevisionNotFound,
    RunArchived,
    RunExists,
    RunNotFound,
    SchemaError,
    SchemaVersionTooNew,
    StoreError,
    StoreWarning,
    TagExists,
    UnclearSchema,
    UnknownSchema,
    Unproven,
)
from store._leaves import SectionList
from store._notes import warn
from store._reads import Reading
from store._records import Change, Event, Revision
from store._registry import get_schema, register_schema, schema_names
from store._rows import RunEvent, RunSummary, Tag
from store._schema import Add, Convert, Remove, Rename, Schema, SchemaVersion, Transform, Upcaster
from store._trainer import current, read

if _typing.TYPE_CHECKING:
    from store._compare import ComparedField, Comparison
    from store._find import Found, StampCheck
    from store._history import Origin, Step
    from store._imports import FileImport, ImportResult
    from store._store import Store, open, schema_changes, schema_fields, schemas
    from store._verify import Problem, VerifyReport

_ON_FIRST_USE = {
    "ComparedField": "store._compare",
    "Comparison": "store._compare",
    "FileImport": "store._imports",
    "Found": "store._find",
    "ImportResult": "store._imports",
    "Origin": "store._history",
    "Problem": "store._verify",
    "StampCheck": "store._find",
    "Step": "store._history",
    "Store": "store._store",
    "VerifyReport": "store._verify",
    "open": "store._store",
    "schema_changes": "store._store",
    "schema_fields": "store._store",
    "schemas": "store._store",
}
"""Public names imported when first used, so that a trainer's `import store; store.current()`
loads neither the `Store` facade nor the write, import and audit paths behind it."""


if not _typing.TYPE_CHECKING:  # type checkers see the imports above; a misspelt name stays an error

    def __getattr__(name: str) -> object:
        """A public name of `_ON_FIRST_USE`, imported now and kept."""
        import importlib

        if name not in _ON_FIRST_USE:
            raise AttributeError(f"module 'store' has no attribute {name!r}")
        value = getattr(importlib.import_module(_ON_FIRST_USE[name]), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        """Every public name, imported or not, and what the module holds."""
        return sorted({*globals(), *__all__})


__all__ = [
    "Add",
    "AppendOnlyViolation",
    "Change",
    "ComparedField",
    "Comparison",
    "Conflict",
    "Convert",
    "DatabaseError",
    "DatabaseTooNew",
    "Event",
    "FileImport",
    "FilesRefused",
    "Found",
    "ImportResult",
    "InvalidChange",
    "InvalidConfigFile",
    "InvalidReference",
    "InvalidRunName",
    "NoChange",
    "NoDatabase",
    "Origin",
    "Problem",
    "Reading",
    "Remove",
    "Rename",
    "Revision",
    "RevisionNotFound",
    "RunArchived",
    "RunEvent",
    "RunExists",
    "RunNotFound",
    "RunSummary",
    "Schema",
    "SchemaError",
    "SchemaVersion",
    "SchemaVersionTooNew",
    "SectionList",
    "StampCheck",
    "Step",
    "Store",
    "StoreError",
    "StoreWarning",
    "Tag",
    "TagExists",
    "Transform",
    "UnclearSchema",
    "UnknownSchema",
    "Unproven",
    "Upcaster",
    "VerifyReport",
    "current",
    "get_schema",
    "open",
    "read",
    "register_schema",
    "schema_changes",
    "schema_fields",
    "schema_names",
    "schemas",
    "warn",
]
