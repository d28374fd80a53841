"""``pysqlite2.dbapi2`` as an alias of ``pysqlite3.dbapi2`` (see ../README.md)."""

from pysqlite3.dbapi2 import *  # noqa: F403
