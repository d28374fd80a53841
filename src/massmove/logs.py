"""Logging for workflow scripts: everything to the rule's log, errors as one line."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

from massmove.errors import MassmoveError


@contextlib.contextmanager
def script_logging(log_path: str | Path) -> Iterator[logging.Logger]:
    """Send logging and stderr to ``log_path``; turn a :class:`MassmoveError` into one line and exit 1.

    The line (``massmove: error: ...``) goes to the log and to the console, so the user sees
    the culprit without opening the log.
    """
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    console = sys.stderr
    with open(log_path, "w", encoding="utf-8") as handle:
        sys.stderr = handle
        logging.basicConfig(
            stream=handle,
            level=logging.INFO,
            format="%(asctime)s %(name)s %(levelname)s %(message)s",
            force=True,
        )
        logger = logging.getLogger("massmove")
        try:
            yield logger
        except MassmoveError as err:
            line = f"massmove: error: {err}"
            handle.write(line + "\n")
            console.write(line + "\n")
            handle.flush()
            sys.stderr = console
            raise SystemExit(1) from None
        except Exception:
            # anything else is a bug: its traceback belongs in the log, not in a closed stream
            logger.exception("unexpected error")
            handle.flush()
            raise
        finally:
            sys.stderr = console
