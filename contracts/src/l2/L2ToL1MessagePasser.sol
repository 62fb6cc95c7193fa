// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Hashing} from "../libraries/Hashing.sol";
import {Types} from "../libraries/Types.sol";

/// @title L2ToL1MessagePasser
/// @notice Where withdrawals from the L2 start: `initiateWithdrawal` takes native OPEN and
/// records the withdrawal hash in `sentMessages`. The output root posted on L1 commits to this
/// contract's storage root, so `OpenPortal` can prove a withdrawal with a Merkle-Patricia proof
/// of the slot `keccak256(abi.encode(withdrawalHash, uint256(0)))`, then release as much OPEN on L1.
/// @dev Storage layout is part of the protocol: `sentMessages` MUST stay the first state
/// variable (slot 0) and nothing may be inherited that declares storage before it.
///
/// Native OPEN sent with a withdrawal is held by this contract for ever: no function moves
/// value out of it, so `address(this).balance` is the total OPEN withdrawn from the L2 and is
/// out of circulation there (the L1 portal releases the same amount from its lock). This
/// replaces OP's `burn()`, which needs SELFDESTRUCT; holding is equivalent for supply and
/// needs no opcode whose semantics have changed (EIP-6780).
contract L2ToL1MessagePasser {
    /// @notice Withdrawal hashes that have been initiated (true once sent). Slot 0.
    mapping(bytes32 withdrawalHash => bool sent) public sentMessages;

    /// @dev Counter part of the message nonce (slot 1); the version sits above it.
    uint240 internal msgNonce;

    /// @notice Version encoded in the top two bytes of every nonce (OP's Bedrock version 1).
    uint16 public constant MESSAGE_VERSION = 1;

    /// @notice A withdrawal was initiated (OP's event, same layout).
    /// @param nonce The versioned nonce of the withdrawal.
    /// @param sender The L2 account that initiated it.
    /// @param target The L1 account that receives the OPEN.
    /// @param value Native OPEN locked here, released on L1 (wei units).
    /// @param gasLimit Carried for OP compatibility; OpenPortal makes no call with it.
    /// @param data Carried for OP compatibility; OpenPortal does not execute it.
    /// @param withdrawalHash The hash recorded in `sentMessages` and proven on L1.
    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );

    /// @notice The L1 target was the zero address. OpenPortal pays withdrawals with an ERC20
    /// transfer, which cannot go to address(0), so such a withdrawal could never be finalised
    /// and its OPEN would be stuck; it is refused up front.
    error ZeroTarget();

    /// @notice Starts a withdrawal of `msg.value` native OPEN to `target` on L1.
    /// @param target The L1 recipient of the OPEN (non-zero).
    /// @param gasLimit Recorded in the withdrawal hash (OP compatibility); unused on L1.
    /// @param data Recorded in the withdrawal hash (OP compatibility); unused on L1.
    function initiateWithdrawal(address target, uint256 gasLimit, bytes calldata data) external payable {
        if (target == address(0)) revert ZeroTarget();
        uint256 nonce = messageNonce();
        bytes32 withdrawalHash = Hashing.hashWithdrawal(
            Types.WithdrawalTransaction({
                nonce: nonce, sender: msg.sender, target: target, value: msg.value, gasLimit: gasLimit, data: data
            })
        );
        sentMessages[withdrawalHash] = true;
        emit MessagePassed(nonce, msg.sender, target, msg.value, gasLimit, data, withdrawalHash);
        // 2**240 withdrawals cannot happen; unchecked saves the overflow check.
        unchecked {
            ++msgNonce;
        }
    }

    /// @notice The nonce the next withdrawal will use: `MESSAGE_VERSION` in the top 16 bits,
    /// the withdrawal counter in the low 240 bits (OP's versioned nonce encoding).
    /// @return The versioned nonce.
    function messageNonce() public view returns (uint256) {
        return (uint256(MESSAGE_VERSION) << 240) | uint256(msgNonce);
    }
}
