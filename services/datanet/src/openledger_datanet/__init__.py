"""OpenLedger datanet service: datanets, contributions, curation, snapshots anchored on-chain."""

__version__ = "0.1.0"
