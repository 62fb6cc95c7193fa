"""Test support: real Redis and anvil processes for pytest (see ``plugin``)."""
