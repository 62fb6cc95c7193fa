"""The datanet domain: no gRPC, no generated protobuf code, no Redis.

- ``model``: the resources (datanets, contributions, contributors, snapshots) as dataclasses;
- ``errors``: the service's error reasons;
- ``service``: the application service that orchestrates repository, chain and bus;
- ``curation``: the curation checks and dedupe index;
- ``canonical``, ``merkle``, ``snapshot``: content hashing, the snapshot Merkle tree and records.
"""
