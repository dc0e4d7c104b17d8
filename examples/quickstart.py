"""The main flow on the embedded SQLite default: create, change, read, audit, roll back.

Runs in a fresh temporary folder, so `store.db` there is the default database.
"""

import os
import tempfile

import store

os.chdir(tempfile.mkdtemp(prefix="store-quickstart-"))
os.environ.pop("STORE_URL", None)

with store.open() as s:  # sqlite:///store.db in the working directory
    s.create("my_run", {"optimizer.learning_rate": 3e-4}, author="ana", message="first try")
    s.update("my_run", {"batch_size": 8, "ema": True}, author="ana", message="bigger batches")
    s.update("my_run", {"optimizer.learning_rate": 1e-4}, author="bo", message="lr too high")

    print("current:", s.current("my_run"))
    for revision in s.history("my_run"):
        changes = ", ".join(f"{c.path}: {c.old!r} -> {c.new!r}" for c in revision.changes)
        who = f"r{revision.number} {revision.kind:8} {revision.author:4}"
        print(f"  {who} {revision.message!r}: {changes}")

    back = s.rollback("my_run", to=2, author="ana", message="bo's change hurt")
    assert s.current("my_run") == s.at("my_run", 2)
    print(f"rolled back as revision {back.number}; verify ok: {s.verify().ok}")

print("a trainer reads it with one call:", store.current("my_run").optimizer)
print("database:", os.path.abspath("store.db"))
