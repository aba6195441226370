"""The on-call engineer's command ``appeals`` (status, trace, dlq): in the production image, so
that it runs inside the cluster with the services' own settings (docs/operations.md)."""
