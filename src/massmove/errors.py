"""Exception hierarchy: every error massmove raises derives from :class:`MassmoveError`.

Messages are single lines that say what was expected, what was found and where
(file, config key, pair), so that a failed Snakemake job shows the culprit at once.
"""

from __future__ import annotations


class MassmoveError(Exception):
    """Base class of all massmove errors."""


class ConfigError(MassmoveError):
    """The configuration does not match the schema or is inconsistent."""


class InputError(MassmoveError):
    """An input file is missing or does not hold what the stage needs."""


class CorruptInputError(InputError):
    """An input exists but its content fails an integrity check."""


class ProcessingError(MassmoveError):
    """A processing step could not produce a trustworthy result."""
