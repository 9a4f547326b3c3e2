"""DuckDB results store."""

from harness.store.db import Store, new_id

__all__ = ["Store", "new_id"]
