"""keytui: a terminal game that shows how predictable your "random" typing is.

Kept import-free on purpose: `keytui --help` must not pay for torch or textual.
"""

__version__ = "0.1.0"
