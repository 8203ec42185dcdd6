"""Logging for pipeline jobs: timestamped lines to the rule's ``log:`` file, flushed at once."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Callable


def job_log(path: str | None) -> Callable[[str], None]:
    """A ``log(msg)`` function writing to ``path``; uncaught errors and warnings land there too."""
    if not path:
        return lambda msg: print(msg, flush=True)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    stream = open(path, "a", buffering=1)
    sys.stderr = stream  # tracebacks and warnings end up next to the progress lines

    def log(msg: str) -> None:
        stream.write(f"[{dt.datetime.now().isoformat(timespec='seconds')}] {msg}\n")

    return log
