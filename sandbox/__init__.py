"""Local emulator of Azure Resource Manager for the azureml.kubernetes collection.

Not shipped in the collection. Run ``python -m sandbox start --state-dir .sandbox``; see
``docs/architecture.md`` ("The sandbox contract") and ``sandbox/README.md``.
"""
