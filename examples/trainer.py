"""A trainer's whole loop with `store`: read the config with launch overrides from the
command line, train a few (fake) steps, write a checkpoint whose metadata holds the stamp,
then go back from the checkpoint to the config that made it.

    python examples/trainer.py my_run batch_size=8 optimizer.learning_rate=1e-4

Uses `$STORE_URL` (default `sqlite:///store.db`); with no such run it creates one first.
Prints the checkpoint's path, then the `store find` of its config hash as JSON lines.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import store


def train(run: str, overrides: list[str]) -> Path:
    """Read the config (overrides applied, never written), 'train', save a stamped checkpoint."""
    reading = store.read(run, overrides=overrides)
    config = reading.config
    loss = 1.0
    for _ in range(3):
        loss *= 1 - config.optimizer.learning_rate * 1000  # type: ignore[attr-defined]
    checkpoint = Path(tempfile.mkdtemp(prefix="checkpoint-")) / "model.json"
    checkpoint.write_text(json.dumps({"loss": loss, "store": reading.stamp()}, indent=2))
    return checkpoint


def which_config(checkpoint: Path) -> list[store.Found]:
    """The runs and revisions whose config made this checkpoint."""
    stamp = json.loads(checkpoint.read_text())["store"]
    with store.open() as opened:
        return opened.find(stamp["config_hash"])


USAGE = "usage: python examples/trainer.py RUN [PATH=VALUE...]"


def main(argv: list[str]) -> None:
    """`trainer.py RUN [PATH=VALUE…]`; without RUN, the usage (exit 2)."""
    if not argv:
        print(USAGE, file=sys.stderr)
        sys.exit(2)
    run, overrides = argv[0], argv[1:]
    with store.open() as opened:
        if run not in {r.name for r in opened.runs()}:
            opened.create(run, message="made by examples/trainer.py")
    checkpoint = train(run, overrides)
    print(checkpoint)
    for found in which_config(checkpoint):
        print(json.dumps({"run": found.run, "revision": found.revision}))


if __name__ == "__main__":
    main(sys.argv[1:])
