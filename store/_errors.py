"""The exceptions `store` raises; nothing else escapes its public API.

StoreError                   root: catch this to catch everything
├── SchemaError              a schema is malformed (checked when registered)
├── UnknownSchema            no schema of that name is registered
├── UnclearSchema            a file fits several schemas, or another one far better than the default
├── InvalidRunName           a run name breaks `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`
├── RunNotFound              the run does not exist
├── RunExists                `create` (or `fork`) of a run that already exists
├── RunArchived              a write to an archived run (unarchive it first)
├── TagExists                a tag of that name exists elsewhere (moving it needs `force`)
├── RevisionNotFound         a revision number outside 1..head
│   └── InvalidReference     a reference `RUN@…` that is malformed or does not resolve
├── InvalidChange            a write names an unknown path or a value that fails validation
├── NoChange                 a write that would change nothing (nothing is appended)
├── Conflict                 `expected_revision` is behind the run's head
├── SchemaVersionTooNew      a run (or a file) was written by a newer schema version
├── InvalidConfigFile        a file is not a config in its format, or cannot be written in one
├── FilesRefused             several files of one `import_files` failed: `errors`, one per file
├── Unproven                 the hash chain (or its MAC under a chain key) does not prove a
│                            revision a read would serve: nothing is served
└── DatabaseError            the database cannot be opened, read or written
    ├── NoDatabase           `create=False` and there is no database (or an empty one) yet
    ├── DatabaseTooNew       its schema was migrated by a newer `store`
    └── AppendOnlyViolation  something tried to update or delete the log

StoreWarning (a `Warning`, not an error: the call still returns what the log proves)
                             a snapshot failed its check against the hash chain and the
                             config was replayed from the log instead
"""

from __future__ import annotations


class StoreError(Exception):
    """Root of every error `store` raises."""


class SchemaError(StoreError):
    """A schema definition is inconsistent: raised when it is registered, not at replay."""


class UnknownSchema(StoreError):
    """No schema of that name is registered."""


class UnclearSchema(StoreError):
    """No schema was named and a file fits several, or another far better than the default."""


class InvalidRunName(StoreError):
    """A run name does not match `[A-Za-z0-9][A-Za-z0-9._-]{0,127}`."""


class RunNotFound(StoreError):
    """The named run does not exist."""


class RunExists(StoreError):
    """A run of that name already exists."""


class RunArchived(StoreError):
    """The run is archived: it stays readable, and refuses writes until it is unarchived."""


class TagExists(StoreError):
    """A tag of that name already names another revision; moving it needs `force`."""


class RevisionNotFound(StoreError):
    """A revision number is outside 1..head of the run."""


class InvalidReference(RevisionNotFound):
    """A reference (`RUN@N`, `RUN@head~K`, `RUN@TAG`, `RUN@TIME`) is malformed or names nothing."""


class InvalidChange(StoreError):
    """A write names an unknown path or gives a value its field refuses; nothing was written."""


class NoChange(StoreError):
    """A write would change nothing, so nothing was appended."""


class Conflict(StoreError):
    """The run moved past `expected_revision`; nothing was written."""


class SchemaVersionTooNew(StoreError):
    """Data was written with a schema version newer than this program knows."""


class InvalidConfigFile(StoreError):
    """A file is not UTF-8 JSON, TOML or YAML holding a config, or a config cannot be written
    in the format asked (a null in TOML)."""


class FilesRefused(StoreError):
    """Several files of one `import_files` failed (nothing was written); `errors` holds one
    message per file, each starting with the file's path."""

    def __init__(self, errors: tuple[str, ...]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class Unproven(StoreError):
    """The chain does not prove the revision a read would serve (altered out of band)."""


class DatabaseError(StoreError):
    """The database cannot be opened, read or written."""


class NoDatabase(DatabaseError):
    """`create=False` and there is no database there yet (no file, or no migration in it)."""


class DatabaseTooNew(DatabaseError):
    """The database was migrated by a newer `store` than this one."""


class AppendOnlyViolation(DatabaseError):
    """Something tried to update, delete or overwrite a stored revision or event."""


class StoreWarning(UserWarning):
    """Something `store` worked around and reports, such as a damaged snapshot it replaced."""
