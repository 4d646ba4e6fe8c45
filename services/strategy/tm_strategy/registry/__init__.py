"""The model registry: registered models, versions from finished training jobs, aliases,
deployment records and an append-only history (owned by the strategy service)."""
