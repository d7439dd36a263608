"""The service's own HTTP API, version 1: one module per resource, each with its router."""
