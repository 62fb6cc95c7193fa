"""Session fixtures shared by every ModelFactory test: one contract deployment on the session's
anvils, one datanet server with a curated snapshot, and one local Ray head for the whole run
(starting Ray costs seconds; tests connect drivers to the one head)."""

from services.modelfactory.tests.chain_platform import contract_artifacts, platform
from services.modelfactory.tests.datanet_snapshot import datanet_snapshot
from services.modelfactory.tests.ray_cluster import ray_address

__all__ = ["contract_artifacts", "datanet_snapshot", "platform", "ray_address"]
