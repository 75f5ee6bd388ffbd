"""The Microsoft.AzureML.Kubernetes extension's in-cluster behaviour, against a real API server.

- ``components``: the components table (the agent's own transcription of the docs) and ``expected()``.
- ``install``: ``apply(api, extension_name, settings, cluster_type)`` writes what the chart would;
  ``delete(api, extension_name)`` removes it.
- ``healthcheck``: ``check(api, extension_name, settings, cluster_type, operation) -> Failure | None``.
- ``helm``: Helm's release labels and its ownership refusal; ``kubeapi``: the few API calls used.

Everything is synchronous, takes the ``kubernetes.client.ApiClient`` to use, and keeps no globals, so
the sandbox's server can call it from a thread (``run_in_executor``).
"""
