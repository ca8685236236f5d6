"""The Textual front end: a thin layer over the headless domain (nothing below keytui.tui imports from here)."""
