"""The world model and what persists or is kept in memory.

``constants`` (default identities and settings), ``seeds`` (the one cluster-seed validation, ARM bodies),
``world`` (the state document and its changes), ``store`` (state.json, atomic and debounced),
``operations`` (long-running operations with wall-clock deadlines), ``files`` (DIR/env, DIR/inventory.yml),
``reqlog`` (the masked request log), ``faults`` (injected faults).
"""
