"""pysqlite2 as an alias of pysqlite3 (see ../README.md)."""

from pysqlite3 import *  # noqa: F403
