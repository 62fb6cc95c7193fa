// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice An L2 output proposal: the output root commits to the L2 state at `l2BlockNumber`
/// as keccak256(version ‖ state_root ‖ message_passer_storage_root ‖ block_hash).
struct OutputProposal {
    bytes32 outputRoot;
    uint128 timestamp; // L1 time of the proposal; finalised at timestamp + challenge window
    uint128 l2BlockNumber;
}

/// @notice What the portal needs from the output oracle (implemented by L2OutputOracle).
interface IL2OutputOracle {
    /// @notice Seconds after a proposal during which the challenger may delete it.
    function challengeWindow() external view returns (uint256);

    /// @notice The proposal at `index`; reverts with `OutputNotFound(index)` if there is none
    /// (never proposed, or deleted by the challenger).
    function getL2Output(uint256 index) external view returns (OutputProposal memory);

    /// @notice Number of proposals (deleted ones are removed from the end).
    function nextOutputIndex() external view returns (uint256);

    /// @notice True once `index` exists and its challenge window has passed.
    function isFinalized(uint256 index) external view returns (bool);
}
