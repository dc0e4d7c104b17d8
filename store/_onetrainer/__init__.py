"""The built-in `onetrainer` schema: OneTrainer's `TrainConfig`, config versions 0..11.

Version 11 is the pydantic model in `_model.py`; versions 0..10 have the fields of
OneTrainer's own dumps (`defaults/v<k>.json`), each defaulting to what OneTrainer gives a
file that lacks it (`_upcasters.defaults`). Version 0 covers both unversioned shapes:
TrainArgs (`optimizer` a name plus flat `optimizer_*` keys) and the 2-day TrainConfig
(`optimizer` a dict plus `optimizer_defaults`, `concepts`, `samples`); its leaves are the
union, and upcaster 0->1 tells them apart by the type of `optimizer`. The elements of
`concepts`, `samples` and `additional_embeddings` are versioned configs of their own
(`_elements.py`), and upcaster 10->11 ends by reading every value as OneTrainer 11's
`from_dict` does (`_reading.py`).
"""

from __future__ import annotations

from store._onetrainer._defaults import NEWEST, OLDEST
from store._onetrainer._detect import looks_like_onetrainer
from store._onetrainer._files import export_hook, import_hook
from store._onetrainer._model import TrainConfig
from store._onetrainer._upcasters import defaults, upcasters
from store._schema import Schema, SchemaVersion

ONETRAINER = Schema(
    name="onetrainer",
    description="OneTrainer's TrainConfig, config versions 0-11, with its migrations.",
    versions=[
        *(SchemaVersion(k, defaults=defaults(k)) for k in range(OLDEST, NEWEST)),
        SchemaVersion(NEWEST, TrainConfig),
    ],
    upcasters=upcasters(),
    file_version_default=0,
    unversioned_reads_fit=True,  # as OneTrainer's UI reads a `#` preset: at its newest version
    import_hook=import_hook,
    export_hook=export_hook,
    detect=looks_like_onetrainer,
)

__all__ = ["ONETRAINER"]
