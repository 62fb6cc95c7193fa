// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {AttributionRewards} from "../../src/l2/AttributionRewards.sol";
import {DatanetRegistry} from "../../src/l2/DatanetRegistry.sol";
import {AdapterRegistration, ModelRegistry} from "../../src/l2/ModelRegistry.sol";
import {ProtocolParams} from "../../src/l2/ProtocolParams.sol";
import {Params} from "../../src/interfaces/IProtocolParams.sol";

/// @notice The gas of the L2 hot paths, for `make gas-report`: a settlement with 10 and with
/// 100 contributors, anchoring a snapshot, registering an adapter. Each test makes the call
/// once on state as a service meets it (fresh contributors, a datanet's next snapshot, a new
/// adapter id) and logs the gas the call used inside the test; the report table gives
/// min/avg/max per function (close to a receipt's gasUsed for the same call on anvil).
contract HotPathsGasTest is Test {
    /// @notice Forge prints these in the test's logs (DSTest convention).
    event log_named_uint(string key, uint256 val);

    AttributionRewards internal rewards;
    DatanetRegistry internal datanets;
    ModelRegistry internal models;

    bytes32 internal constant DATANET = keccak256("medical-qa");
    bytes32 internal constant BASE_MODEL = keccak256("smollm2-135m-instruct");

    function setUp() public {
        // The test stands in for the timelock and for every service account.
        ProtocolParams params = new ProtocolParams(
            address(this),
            Params({
                attributionThresholdBps: 500,
                contributorsBps: 7000,
                modelOwnerBps: 2000,
                protocolBps: 1000,
                challengeWindowSeconds: 1 days,
                contributorSlashBps: 1000,
                providerSlashBps: 1000
            })
        );
        rewards = new AttributionRewards(address(this));
        rewards.grantRole(rewards.ATTRIBUTION_ROLE(), address(this));
        datanets = new DatanetRegistry(address(this), params, 1 days);
        datanets.grantRole(datanets.REGISTRAR_ROLE(), address(this));
        datanets.grantRole(datanets.CURATION_ROLE(), address(this));
        datanets.createDatanet(DATANET, makeAddr("curator"), 1 ether, keccak256("config"));
        models = new ModelRegistry(address(this));
        models.grantRole(models.CATALOGUE_ROLE(), address(this));
        models.grantRole(models.REGISTRAR_ROLE(), address(this));
        models.registerBaseModel(BASE_MODEL, keccak256("revision"), "SmolLM2 135M", address(0), 0);
        vm.deal(address(this), 1_000_000 ether);
    }

    function test_gas_settle10Contributors() public {
        emit log_named_uint("settle, 10 contributors", _settle(10, bytes32(uint256(1))));
    }

    function test_gas_settle100Contributors() public {
        uint256 used = _settle(100, bytes32(uint256(2)));
        emit log_named_uint("settle, 100 contributors", used);
        // A 100-contributor settlement must stay far inside a 30M-gas L2 block.
        assertLe(used, 5_000_000);
    }

    function test_gas_anchorSnapshot() public {
        datanets.anchorSnapshot(DATANET, 1, keccak256("root-1"), 1000, sha256("snapshot-1"));
        uint256 before = gasleft();
        datanets.anchorSnapshot(DATANET, 2, keccak256("root-2"), 1200, sha256("snapshot-2"));
        emit log_named_uint("anchorSnapshot (a datanet's next snapshot)", before - gasleft());
    }

    function test_gas_registerAdapter() public {
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = keccak256("root-1");
        AdapterRegistration memory r = AdapterRegistration({
            adapterId: "medical-qa-lora",
            version: 1,
            adapterSha256: sha256("adapter_model.safetensors"),
            baseModelId: BASE_MODEL,
            snapshotRoots: roots,
            owner: makeAddr("owner"),
            feePer1kTokens: 1e15
        });
        uint256 before = gasleft();
        bytes32 key = models.registerAdapter(r);
        emit log_named_uint("registerAdapter (new id, one snapshot root)", before - gasleft());
        assertTrue(models.isRegistered(key, r.adapterSha256));
    }

    /// @dev Settles `n` contributors who never held a credit (the costly, common case).
    function _settle(uint256 n, bytes32 inferenceId) internal returns (uint256 used) {
        address[] memory contributors = new address[](n);
        uint256[] memory amounts = new uint256[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            contributors[i] = address(uint160(0x100000 + i));
            amounts[i] = 1e15 + i;
            total += amounts[i];
        }
        uint256 before = gasleft();
        rewards.settle{value: total}(inferenceId, contributors, amounts, keccak256("evidence"));
        used = before - gasleft();
        assertEq(rewards.claimable(contributors[n - 1]), amounts[n - 1]);
    }
}
