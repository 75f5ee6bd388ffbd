"""The sandbox's Kubernetes side: a real control plane per sandbox cluster (see README.md)."""
