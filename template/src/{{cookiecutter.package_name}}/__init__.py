"""The service's package. The name and description its API documents are in about.json."""
