// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Types
/// @notice The structs that cross the L1/L2 boundary, laid out as in the OP Stack so that
/// withdrawal hashes and output roots computed by OP tooling match ours byte for byte.
library Types {
    /// @notice A withdrawal initiated on L2 through `L2ToL1MessagePasser`.
    /// @dev Field order is part of the withdrawal hash (`Hashing.hashWithdrawal`): do not reorder.
    struct WithdrawalTransaction {
        uint256 nonce; // versioned nonce: version in the top 16 bits, counter below
        address sender; // msg.sender of `initiateWithdrawal` on L2
        address target; // receives the released OPEN on L1
        uint256 value; // native OPEN locked on L2 = OPEN released on L1 (wei units)
        uint256 gasLimit; // kept for OP compatibility; OpenPortal makes no call with it
        bytes data; // kept for OP compatibility; OpenPortal does not execute it
    }

    /// @notice The preimage of an output root:
    /// `outputRoot = keccak256(abi.encode(version, stateRoot, messagePasserStorageRoot, latestBlockhash))`.
    struct OutputRootProof {
        bytes32 version; // output root version; only version 0 (bytes32(0)) exists
        bytes32 stateRoot; // L2 state root of the output's block
        bytes32 messagePasserStorageRoot; // storage root of L2ToL1MessagePasser in that state
        bytes32 latestBlockhash; // hash of the output's L2 block
    }
}
