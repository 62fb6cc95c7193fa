"""Adapters to the world outside the domain: database, object store, chain, event bus and the
embedding model."""
