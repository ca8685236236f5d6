"""The player's settings that outlive a run (today: the theme), in a small JSON file in the user's config directory.

Written atomically (a crash leaves the old file or the new one, never half of one). Reading is tolerant: a missing,
unreadable or corrupt file (a FIFO or a device included: it goes through keytui/files.py's guard), or a value of the
wrong type, gives the defaults, never an error, since nothing in it is worth refusing to start over.
"""

from __future__ import annotations

import json
from pathlib import Path

SETTINGS_FILE = "settings.json"


def settings_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("keytui", appauthor=False)) / SETTINGS_FILE


def load_settings(path: Path | None = None) -> dict:
    """The saved settings, or {} when there are none that can be read."""
    from keytui.data.files import read_json_file
    from keytui.errors import KeytuiError

    try:  # the shared guard: a FIFO or /dev/zero here gives the defaults at once, never a home screen that hangs
        data = read_json_file(path or settings_path(), what=SETTINGS_FILE)
    except KeytuiError:  # missing, not a regular file, too large, not UTF-8, not JSON
        return {}
    return data if isinstance(data, dict) else {}


def saved_theme(path: Path | None = None) -> str | None:
    theme = load_settings(path).get("theme")
    return theme if isinstance(theme, str) and 0 < len(theme) <= 100 else None


def save_setting(name: str, value: object, path: Path | None = None) -> None:
    """Set one setting, keeping the others. Raises KeytuiError (one line) when the file cannot be written."""
    from keytui.data.corpus import atomic_write_bytes

    path = path or settings_path()
    settings = load_settings(path)
    settings[name] = value
    atomic_write_bytes(path, (json.dumps(settings, indent=2, sort_keys=True) + "\n").encode("utf-8"))
