"""store: an event-sourced configuration store for ML training configs.

import store
cfg = store.current("my_run")          # the effective config, from $STORE_URL
with store.open("sqlite:///runs.db") as s:
    s.create("my_run", {"optimizer.learning_rate": 3e-4})
    s.update("my_run", {"batch_size": 8}, message="bigger batches")
    s.rollback("my_run", to=1)
"""

from store._errors import (
    AppendOnlyViolation,
    Conflict,
    DatabaseError,
    DatabaseTooNew,
    InvalidChange,
    InvalidConfigFile,
    InvalidRunName,
    NoChange,
    RevisionNotFound,
    RunExists,
    RunNotFound,
    SchemaError,
    SchemaVersionTooNew,
    StoreError,
    UnknownSchema,
)
from store._persistence import RunSummary
from store._records import Change, Event, Revision
from store._registry import get_schema, register_schema, schema_names
from store._schema import (
    Add,
    Convert,
    Remove,
    Rename,
    Schema,
    SchemaVersion,
    SectionList,
    Transform,
    Upcaster,
    warn,
)
from store._store import ImportResult, Origin, Reading, Store, current, open
from store._verify import Problem, VerifyReport

__all__ = [
    "Add",
    "AppendOnlyViolation",
    "Change",
    "Conflict",
    "Convert",
    "DatabaseError",
    "DatabaseTooNew",
    "Event",
    "ImportResult",
    "InvalidChange",
    "InvalidConfigFile",
    "InvalidRunName",
    "NoChange",
    "Origin",
    "Problem",
    "Reading",
    "Remove",
    "Rename",
    "Revision",
    "RevisionNotFound",
    "RunExists",
    "RunNotFound",
    "RunSummary",
    "Schema",
    "SchemaError",
    "SchemaVersion",
    "SchemaVersionTooNew",
    "SectionList",
    "Store",
    "StoreError",
    "Transform",
    "UnknownSchema",
    "Upcaster",
    "VerifyReport",
    "current",
    "get_schema",
    "open",
    "register_schema",
    "schema_names",
    "warn",
]
