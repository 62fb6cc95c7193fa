from services.attribution.tests.settlement.conftest import chain, contract_artifacts
from services.attribution.tests.support.fixtures import planted

__all__ = ["chain", "contract_artifacts", "planted"]
