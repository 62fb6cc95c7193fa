// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {BatchInbox, BatchRecord} from "../../src/l1/BatchInbox.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @notice Unit and fuzz tests of BatchInbox: DA records, the L1-fallback path, strict index
/// sequencing (gaps and duplicates), the empty-input errors and every role restriction.
contract BatchInboxTest is Test {
    event BatchRecorded(
        uint256 indexed batchIndex, bytes32 indexed certificateHash, bytes32 dataHash, bool fallbackToL1
    );

    uint256 internal constant T0 = 1_700_000_000;

    BatchInbox internal inbox;
    address internal admin = makeAddr("admin");
    address internal batcher = makeAddr("batcher");
    address internal stranger = makeAddr("stranger");

    function setUp() public {
        vm.warp(T0);
        vm.roll(500);
        inbox = new BatchInbox(admin, batcher);
    }

    // ---------------------------------------------------------------- constructor

    function test_constructor_setsRoles() public view {
        assertEq(inbox.BATCHER_ROLE(), keccak256("BATCHER_ROLE"));
        assertTrue(inbox.hasRole(inbox.DEFAULT_ADMIN_ROLE(), admin));
        assertTrue(inbox.hasRole(inbox.BATCHER_ROLE(), batcher));
        assertFalse(inbox.hasRole(inbox.BATCHER_ROLE(), admin));
        assertEq(inbox.nextBatchIndex(), 0);
    }

    function test_constructor_revertsOnZeroAddresses() public {
        vm.expectRevert(BatchInbox.ZeroAdmin.selector);
        new BatchInbox(address(0), batcher);
        vm.expectRevert(BatchInbox.ZeroBatcher.selector);
        new BatchInbox(admin, address(0));
    }

    // ---------------------------------------------------------------- DA path

    function test_recordBatch_storesAndEmits() public {
        bytes32 cert = keccak256("certificate 0");
        bytes32 data = keccak256("data 0");
        vm.expectEmit(true, true, false, true);
        emit BatchRecorded(0, cert, data, false);
        vm.prank(batcher);
        inbox.recordBatch(0, cert, data);

        BatchRecord memory r = inbox.batch(0);
        assertEq(r.certificateHash, cert);
        assertEq(r.dataHash, data);
        assertEq(uint256(r.l1Block), 500);
        assertEq(uint256(r.timestamp), T0);
        assertFalse(r.fallbackToL1);
        assertEq(inbox.nextBatchIndex(), 1);
    }

    function test_recordBatch_revertsOnEmptyCertificateHash() public {
        vm.prank(batcher);
        vm.expectRevert(BatchInbox.EmptyCertificateHash.selector);
        inbox.recordBatch(0, bytes32(0), keccak256("d"));
    }

    function test_recordBatch_revertsOnEmptyDataHash() public {
        vm.prank(batcher);
        vm.expectRevert(BatchInbox.EmptyDataHash.selector);
        inbox.recordBatch(0, keccak256("c"), bytes32(0));
    }

    function test_recordBatch_revertsOnGap() public {
        vm.prank(batcher);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchIndexGap.selector, 1, 0));
        inbox.recordBatch(1, keccak256("c"), keccak256("d"));
    }

    function test_recordBatch_revertsOnDuplicate() public {
        _record(0);
        vm.prank(batcher);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchAlreadyRecorded.selector, 0, 1));
        inbox.recordBatch(0, keccak256("other c"), keccak256("other d"));
        assertEq(inbox.batch(0).certificateHash, keccak256(abi.encode("cert", uint256(0))));
    }

    function test_recordBatch_revertsForUnauthorisedCallers() public {
        bytes32 role = inbox.BATCHER_ROLE();
        address[2] memory callers = [stranger, admin];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], role)
            );
            inbox.recordBatch(0, keccak256("c"), keccak256("d"));
        }
    }

    // ---------------------------------------------------------------- L1-fallback path

    function test_postBatchData_recordsHashOfFrames() public {
        bytes memory frames = hex"00112233445566778899aabbccddeeff0000000000000005deadbeef0001";
        vm.roll(501);
        vm.warp(T0 + 12);
        vm.expectEmit(true, true, false, true);
        emit BatchRecorded(0, bytes32(0), keccak256(frames), true);
        vm.prank(batcher);
        inbox.postBatchData(0, frames);

        BatchRecord memory r = inbox.batch(0);
        assertEq(r.certificateHash, bytes32(0));
        assertEq(r.dataHash, keccak256(frames));
        assertEq(uint256(r.l1Block), 501);
        assertEq(uint256(r.timestamp), T0 + 12);
        assertTrue(r.fallbackToL1);
        assertEq(inbox.nextBatchIndex(), 1);
    }

    function test_postBatchData_framesStayInCalldata() public {
        // What the derivation side does: find the call, hash its `frames`, compare with dataHash.
        bytes memory frames = bytes("frames of batch 0");
        bytes memory input = abi.encodeCall(BatchInbox.postBatchData, (0, frames));
        vm.prank(batcher);
        (bool ok,) = address(inbox).call(input);
        assertTrue(ok);
        (, bytes memory decoded) = abi.decode(_stripSelector(input), (uint256, bytes));
        assertEq(keccak256(decoded), inbox.batch(0).dataHash);
    }

    function test_postBatchData_revertsOnEmptyFrames() public {
        vm.prank(batcher);
        vm.expectRevert(BatchInbox.EmptyBatchData.selector);
        inbox.postBatchData(0, "");
    }

    function test_postBatchData_revertsOnGapAndDuplicate() public {
        vm.startPrank(batcher);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchIndexGap.selector, 5, 0));
        inbox.postBatchData(5, hex"01");
        inbox.postBatchData(0, hex"01");
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchAlreadyRecorded.selector, 0, 1));
        inbox.postBatchData(0, hex"02");
        vm.stopPrank();
    }

    function test_postBatchData_revertsForUnauthorisedCallers() public {
        bytes32 role = inbox.BATCHER_ROLE();
        address[2] memory callers = [stranger, admin];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], role)
            );
            inbox.postBatchData(0, hex"01");
        }
        assertEq(inbox.nextBatchIndex(), 0);
    }

    // ---------------------------------------------------------------- both paths, views, roles

    function test_pathsShareOneSequence() public {
        _record(0);
        vm.prank(batcher);
        inbox.postBatchData(1, hex"aa"); // DA down: fallback
        _record(2); // DA back: fail back
        assertEq(inbox.nextBatchIndex(), 3);
        assertFalse(inbox.batch(0).fallbackToL1);
        assertTrue(inbox.batch(1).fallbackToL1);
        assertFalse(inbox.batch(2).fallbackToL1);
        vm.prank(batcher);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchAlreadyRecorded.selector, 1, 3));
        inbox.recordBatch(1, keccak256("c"), keccak256("d"));
    }

    function test_batch_revertsWhenNotRecorded() public {
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchNotFound.selector, 0));
        inbox.batch(0);
        _record(0);
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchNotFound.selector, 1));
        inbox.batch(1);
    }

    function test_rejectsEther() public {
        vm.deal(batcher, 1 ether);
        vm.startPrank(batcher);
        (bool ok,) = address(inbox).call{value: 1}(abi.encodeCall(BatchInbox.postBatchData, (0, hex"01")));
        assertFalse(ok);
        (ok,) = address(inbox).call{value: 1}("");
        assertFalse(ok);
        vm.stopPrank();
        assertEq(address(inbox).balance, 0);
    }

    function test_adminManagesBatcherRole() public {
        bytes32 role = inbox.BATCHER_ROLE();
        bytes32 adminRole = inbox.DEFAULT_ADMIN_ROLE();
        address next = makeAddr("next batcher");
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, adminRole)
        );
        inbox.grantRole(role, next);

        vm.startPrank(admin);
        inbox.grantRole(role, next);
        inbox.revokeRole(role, batcher);
        vm.stopPrank();
        vm.prank(next);
        inbox.recordBatch(0, keccak256("c"), keccak256("d"));
        vm.prank(batcher);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, batcher, role));
        inbox.recordBatch(1, keccak256("c"), keccak256("d"));
    }

    // ---------------------------------------------------------------- fuzz

    /// @dev Arbitrary indexes through either path: only `nextBatchIndex()` is accepted; below
    /// it is a duplicate, above it a gap; the counter moves by exactly one per success.
    function testFuzz_batchIndexSequencing(uint256[16] memory indexes, uint256 pathBits) public {
        for (uint256 i = 0; i < indexes.length; i++) {
            uint256 next = inbox.nextBatchIndex();
            // Mostly near the expected index, sometimes anywhere.
            uint256 index = indexes[i] % 4 == 0 ? indexes[i] : bound(indexes[i], next == 0 ? 0 : next - 1, next + 1);
            bool fallbackPath = (pathBits >> i) & 1 == 1;
            vm.prank(batcher);
            if (index < next) {
                vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchAlreadyRecorded.selector, index, next));
            } else if (index > next) {
                vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchIndexGap.selector, index, next));
            }
            if (fallbackPath) inbox.postBatchData(index, abi.encode(index, i));
            else inbox.recordBatch(index, keccak256(abi.encode("c", index)), keccak256(abi.encode("d", index)));

            assertEq(inbox.nextBatchIndex(), index == next ? next + 1 : next);
        }
        uint256 n = inbox.nextBatchIndex();
        for (uint256 i = 0; i < n; i++) {
            BatchRecord memory r = inbox.batch(i);
            assertTrue(r.dataHash != bytes32(0));
            assertEq(r.fallbackToL1, r.certificateHash == bytes32(0));
        }
        vm.expectRevert(abi.encodeWithSelector(BatchInbox.BatchNotFound.selector, n));
        inbox.batch(n);
    }

    /// @dev The fallback data hash is keccak256 of exactly the frames posted.
    function testFuzz_fallbackDataHash(bytes calldata frames) public {
        vm.assume(frames.length > 0);
        vm.prank(batcher);
        inbox.postBatchData(0, frames);
        assertEq(inbox.batch(0).dataHash, keccak256(frames));
    }

    // ---------------------------------------------------------------- helpers

    function _record(uint256 index) internal {
        vm.prank(batcher);
        inbox.recordBatch(index, keccak256(abi.encode("cert", index)), keccak256(abi.encode("data", index)));
    }

    function _stripSelector(bytes memory input) internal pure returns (bytes memory out) {
        out = new bytes(input.length - 4);
        for (uint256 i = 0; i < out.length; i++) {
            out[i] = input[i + 4];
        }
    }
}
