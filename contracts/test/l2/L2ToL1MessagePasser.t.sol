// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test, Log} from "../utils/Test.sol";
import {L2ToL1MessagePasser} from "../../src/l2/L2ToL1MessagePasser.sol";
import {Hashing} from "../../src/libraries/Hashing.sol";
import {Types} from "../../src/libraries/Types.sol";

/// @notice L2ToL1MessagePasser: hash format, versioned nonces, storage layout, held value.
contract L2ToL1MessagePasserTest is Test {
    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );

    L2ToL1MessagePasser internal passer;
    address internal alice = makeAddr("alice");
    address internal l1Target = makeAddr("l1Target");

    uint256 internal constant VERSION_1 = uint256(1) << 240;

    function setUp() public {
        passer = new L2ToL1MessagePasser();
        vm.deal(alice, 100 ether);
    }

    function _hash(uint256 nonce, address sender, address target, uint256 value, uint256 gasLimit, bytes memory data)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(nonce, sender, target, value, gasLimit, data));
    }

    function test_NonceCarriesVersionOne() public view {
        assertEq(passer.messageNonce(), VERSION_1);
        assertEq(uint256(passer.MESSAGE_VERSION()), 1);
    }

    function test_InitiateWithdrawal_RecordsHashAndEmits() public {
        bytes memory data = hex"c0ffee";
        bytes32 expected = _hash(VERSION_1, alice, l1Target, 1 ether, 200_000, data);
        vm.expectEmit(true, true, true, true);
        emit MessagePassed(VERSION_1, alice, l1Target, 1 ether, 200_000, data, expected);
        vm.prank(alice);
        passer.initiateWithdrawal{value: 1 ether}(l1Target, 200_000, data);

        assertTrue(passer.sentMessages(expected));
        assertEq(passer.messageNonce(), VERSION_1 + 1);
        // The native OPEN stays locked in the passer.
        assertEq(address(passer).balance, 1 ether);
        assertEq(alice.balance, 99 ether);
    }

    function test_SentMessagesIsAtStorageSlotZero() public {
        vm.prank(alice);
        passer.initiateWithdrawal{value: 3}(l1Target, 1, "");
        bytes32 wh = _hash(VERSION_1, alice, l1Target, 3, 1, "");
        // The slot OpenPortal proves: keccak256(abi.encode(withdrawalHash, uint256(0))).
        assertEq(vm.load(address(passer), Hashing.withdrawalStorageSlot(wh)), bytes32(uint256(1)));
        // The counter sits alone in slot 1.
        assertEq(vm.load(address(passer), bytes32(uint256(1))), bytes32(uint256(1)));
    }

    function test_ZeroValueWithdrawalIsRecorded() public {
        vm.prank(alice);
        passer.initiateWithdrawal(l1Target, 0, "");
        assertTrue(passer.sentMessages(_hash(VERSION_1, alice, l1Target, 0, 0, "")));
    }

    function test_RevertWhen_TargetIsZero() public {
        vm.prank(alice);
        vm.expectRevert(L2ToL1MessagePasser.ZeroTarget.selector);
        passer.initiateWithdrawal{value: 1}(address(0), 0, "");
    }

    function test_RevertWhen_PlainTransfer() public {
        // No receive/fallback: native OPEN only enters through initiateWithdrawal.
        vm.prank(alice);
        (bool ok,) = address(passer).call{value: 1 ether}("");
        assertFalse(ok);
    }

    function testFuzz_HashMatchesHashingLibraryAndNoncesIncrease(
        address sender,
        address target,
        uint96 value,
        uint256 gasLimit,
        bytes calldata data,
        uint8 rounds
    ) public {
        vm.assume(target != address(0) && sender != address(passer));
        rounds = uint8(bound(rounds, 1, 5));
        vm.deal(sender, uint256(value) * rounds);
        uint256 before = address(passer).balance;
        for (uint256 i = 0; i < rounds; ++i) {
            assertEq(passer.messageNonce(), VERSION_1 | i);
            _withdrawAndCheck(
                Types.WithdrawalTransaction({
                    nonce: passer.messageNonce(),
                    sender: sender,
                    target: target,
                    value: value,
                    gasLimit: gasLimit,
                    data: data
                })
            );
        }
        assertEq(address(passer).balance - before, uint256(value) * rounds);
    }

    function _withdrawAndCheck(Types.WithdrawalTransaction memory wtx) internal {
        vm.recordLogs();
        vm.prank(wtx.sender);
        passer.initiateWithdrawal{value: wtx.value}(wtx.target, wtx.gasLimit, wtx.data);
        Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        (,,, bytes32 emitted) = abi.decode(logs[0].data, (uint256, uint256, bytes, bytes32));
        bytes32 expected = Hashing.hashWithdrawal(wtx);
        assertEq(emitted, expected);
        assertEq(emitted, _hash(wtx.nonce, wtx.sender, wtx.target, wtx.value, wtx.gasLimit, wtx.data));
        assertTrue(passer.sentMessages(expected));
    }
}
