"""The control API (``/_sandbox/``): seeding, settings, faults, the request log; see ``api.py`` and sandbox/README.md."""
