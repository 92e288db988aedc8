"""Staff roles, purposes and the one gate through which personal data is read.

`from lookout.access import reveal` (and `reveal_many`, `reveal_values`) works; the import is
lazy because this package is also an installed app, and app packages must not import models
when Django loads them.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name in {"reveal", "reveal_many", "reveal_values", "AccessDenied", "Restricted"}:
        from lookout.access import gate

        return getattr(gate, name)
    raise AttributeError(name)
