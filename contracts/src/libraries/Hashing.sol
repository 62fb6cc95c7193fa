// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Types} from "./Types.sol";

/// @title Hashing
/// @notice The hashes that link an L2 withdrawal to an L1 proof, as the OP Stack defines them.
library Hashing {
    /// @notice Version 0 of the output root format, the only one defined.
    bytes32 internal constant OUTPUT_VERSION_V0 = bytes32(0);

    /// @notice The withdrawal hash: the key under which `L2ToL1MessagePasser` records a
    /// withdrawal in `sentMessages`, and the identifier OpenPortal proves and finalises.
    /// @param wtx The withdrawal.
    /// @return keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)).
    function hashWithdrawal(Types.WithdrawalTransaction memory wtx) internal pure returns (bytes32) {
        return keccak256(abi.encode(wtx.nonce, wtx.sender, wtx.target, wtx.value, wtx.gasLimit, wtx.data));
    }

    /// @notice The output root committed by an output proposal.
    /// @param proof The four words the root commits to.
    /// @return keccak256(abi.encode(version, stateRoot, messagePasserStorageRoot, latestBlockhash)).
    function hashOutputRootProof(Types.OutputRootProof memory proof) internal pure returns (bytes32) {
        return
            keccak256(abi.encode(proof.version, proof.stateRoot, proof.messagePasserStorageRoot, proof.latestBlockhash));
    }

    /// @notice The storage slot of `sentMessages[withdrawalHash]` in `L2ToL1MessagePasser`, whose
    /// mapping is declared first and therefore sits at slot 0 (Solidity mapping layout:
    /// keccak256(key ‖ slot)).
    /// @param withdrawalHash The withdrawal hash.
    /// @return The storage slot (not yet hashed again for the secure trie).
    function withdrawalStorageSlot(bytes32 withdrawalHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(withdrawalHash, uint256(0)));
    }
}
