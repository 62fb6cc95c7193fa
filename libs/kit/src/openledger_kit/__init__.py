"""What every OpenLedger service shares.

Subpackages: ``config`` (settings), ``errors`` (typed domain errors), ``server`` (gRPC bootstrap
and interceptors), ``auth`` (EIP-191 request signing), ``bus`` (Redis Streams), ``store``
(content-addressed objects), ``db`` (SQLAlchemy + Alembic), ``chain`` (web3 helpers),
``client`` (typed callers), ``cli`` (the ``openledger`` command), ``localnet`` (the local
supervisor) and ``testing`` (pytest fixtures that start real Redis and anvil processes).
"""

__version__ = "0.1.0"
