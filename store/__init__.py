"""store: an event-sourced configuration store for ML training configs.

import store
cfg = store.current("my_run")          # the effective config, from $STORE_URL
with store.open("sqlite:///runs.db") as s:
    s.create("my_run", {"optimizer.learning_rate": 3e-4})
    s.update("my_run", {"batch_size": 8}, message="bigger batches")
    s.rollback("my_run", to=1)
"""

from store._compare import ComparedField, Comparison
from store._errors import (
    AppendOnlyViolation,
    Conflict,
    DatabaseError,
    DatabaseTooNew,
    InvalidChange,
    InvalidConfigFile,
    InvalidReference,
    InvalidRunName,
    NoChange,
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
)
from store._find import Found
from store._history import Step
from store._records import Change, Event, Revision
from store._registry import get_schema, register_schema, schema_names
from store._rows import RunEvent, RunSummary, Tag
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
from store._store import (
    FileImport,
    ImportResult,
    Origin,
    Reading,
    Store,
    current,
    open,
    read,
    schema_changes,
    schema_fields,
    schemas,
)
from store._verify import Problem, VerifyReport

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
    "Found",
    "ImportResult",
    "InvalidChange",
    "InvalidConfigFile",
    "InvalidReference",
    "InvalidRunName",
    "NoChange",
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
    "Step",
    "Store",
    "StoreError",
    "StoreWarning",
    "Tag",
    "TagExists",
    "Transform",
    "UnclearSchema",
    "UnknownSchema",
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
