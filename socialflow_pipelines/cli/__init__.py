"""The `socialflow` command (main.py), a composition root: it builds the Settings each command
needs and hands them on."""
