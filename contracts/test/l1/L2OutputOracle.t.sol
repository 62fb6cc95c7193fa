// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {L2OutputOracle} from "../../src/l1/L2OutputOracle.sol";
import {IL2OutputOracle, OutputProposal} from "../../src/interfaces/IL2OutputOracle.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @notice Unit and fuzz tests of L2OutputOracle: constructor checks, the proposal rules (grid,
/// monotonic block numbers, empty roots, L1 block hash), deletion only inside the challenge
/// window, finalisation, the lookup views and every role restriction.
contract L2OutputOracleTest is Test {
    event OutputProposed(
        bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp
    );
    event OutputsDeleted(uint256 indexed prevNextOutputIndex, uint256 indexed newNextOutputIndex);

    uint256 internal constant WINDOW = 7 days;
    uint256 internal constant START = 100;
    uint256 internal constant INTERVAL = 10;
    uint256 internal constant T0 = 1_700_000_000;

    L2OutputOracle internal oracle;
    address internal admin = makeAddr("admin");
    address internal proposer = makeAddr("proposer");
    address internal challenger = makeAddr("challenger");
    address internal stranger = makeAddr("stranger");

    function setUp() public {
        vm.warp(T0);
        vm.roll(1000); // so that recent L1 block hashes exist
        oracle = new L2OutputOracle(admin, proposer, challenger, WINDOW, START, INTERVAL);
    }

    // ---------------------------------------------------------------- constructor

    function test_constructor_setsParametersAndRoles() public view {
        assertEq(oracle.challengeWindow(), WINDOW);
        assertEq(oracle.startingBlockNumber(), START);
        assertEq(oracle.submissionInterval(), INTERVAL);
        assertEq(oracle.PROPOSER_ROLE(), keccak256("PROPOSER_ROLE"));
        assertEq(oracle.CHALLENGER_ROLE(), keccak256("CHALLENGER_ROLE"));
        assertTrue(oracle.hasRole(oracle.DEFAULT_ADMIN_ROLE(), admin));
        assertTrue(oracle.hasRole(oracle.PROPOSER_ROLE(), proposer));
        assertTrue(oracle.hasRole(oracle.CHALLENGER_ROLE(), challenger));
        assertFalse(oracle.hasRole(oracle.PROPOSER_ROLE(), challenger));
        assertFalse(oracle.hasRole(oracle.CHALLENGER_ROLE(), proposer));
        assertFalse(oracle.hasRole(oracle.PROPOSER_ROLE(), admin));
    }

    function test_constructor_revertsOnZeroAddresses() public {
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.ZeroAddress.selector, "admin"));
        new L2OutputOracle(address(0), proposer, challenger, WINDOW, START, INTERVAL);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.ZeroAddress.selector, "proposer"));
        new L2OutputOracle(admin, address(0), challenger, WINDOW, START, INTERVAL);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.ZeroAddress.selector, "challenger"));
        new L2OutputOracle(admin, proposer, address(0), WINDOW, START, INTERVAL);
    }

    function test_constructor_revertsOnInvalidChallengeWindow() public {
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidChallengeWindow.selector, 0));
        new L2OutputOracle(admin, proposer, challenger, 0, START, INTERVAL);
        uint256 tooLong = uint256(type(uint64).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidChallengeWindow.selector, tooLong));
        new L2OutputOracle(admin, proposer, challenger, tooLong, START, INTERVAL);
        // The bounds themselves are accepted.
        new L2OutputOracle(admin, proposer, challenger, 1, START, INTERVAL);
        new L2OutputOracle(admin, proposer, challenger, type(uint64).max, START, INTERVAL);
    }

    function test_constructor_revertsOnZeroInterval() public {
        vm.expectRevert(L2OutputOracle.InvalidSubmissionInterval.selector);
        new L2OutputOracle(admin, proposer, challenger, WINDOW, START, 0);
    }

    function test_constructor_revertsOnStartingBlockAboveUint128() public {
        uint256 tooHigh = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidStartingBlockNumber.selector, tooHigh));
        new L2OutputOracle(admin, proposer, challenger, WINDOW, tooHigh, INTERVAL);
    }

    // ---------------------------------------------------------------- empty oracle

    function test_emptyOracle_views() public {
        assertEq(oracle.nextOutputIndex(), 0);
        assertEq(oracle.latestBlockNumber(), START);
        assertEq(oracle.nextBlockNumber(), START + INTERVAL);
        assertFalse(oracle.isFinalized(0));
        vm.expectRevert(L2OutputOracle.NoOutputs.selector);
        oracle.latestOutputIndex();
        vm.expectRevert(L2OutputOracle.NoOutputs.selector);
        oracle.getL2OutputIndexAfter(START);
        vm.expectRevert(L2OutputOracle.NoOutputs.selector);
        oracle.getL2OutputAfter(START);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.OutputNotFound.selector, 0));
        oracle.getL2Output(0);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.OutputNotFound.selector, 0));
        oracle.finalizationTime(0);
    }

    // ---------------------------------------------------------------- proposing

    function test_propose_storesAndEmits() public {
        bytes32 root = keccak256("root-110");
        vm.expectEmit(true, true, true, true);
        emit OutputProposed(root, 0, 110, T0);
        vm.prank(proposer);
        oracle.proposeL2Output(root, 110, bytes32(0), 0);

        OutputProposal memory p = oracle.getL2Output(0);
        assertEq(p.outputRoot, root);
        assertEq(uint256(p.timestamp), T0);
        assertEq(uint256(p.l2BlockNumber), 110);
        assertEq(oracle.nextOutputIndex(), 1);
        assertEq(oracle.latestOutputIndex(), 0);
        assertEq(oracle.latestBlockNumber(), 110);
        assertEq(oracle.nextBlockNumber(), 120);
        assertEq(oracle.finalizationTime(0), T0 + WINDOW);
    }

    function test_propose_throughTheInterface() public {
        _propose(110);
        IL2OutputOracle i = IL2OutputOracle(address(oracle));
        assertEq(i.challengeWindow(), WINDOW);
        assertEq(i.nextOutputIndex(), 1);
        assertEq(uint256(i.getL2Output(0).l2BlockNumber), 110);
        assertFalse(i.isFinalized(0));
    }

    function test_propose_maySkipGridPoints() public {
        _propose(110);
        _propose(150); // 120, 130, 140 skipped: allowed, still on the grid
        assertEq(oracle.latestBlockNumber(), 150);
        assertEq(oracle.latestOutputIndex(), 1);
    }

    function test_propose_revertsOnEmptyRoot() public {
        vm.prank(proposer);
        vm.expectRevert(L2OutputOracle.EmptyOutputRoot.selector);
        oracle.proposeL2Output(bytes32(0), 110, bytes32(0), 0);
    }

    function test_propose_revertsAtOrBelowStartingBlock() public {
        vm.startPrank(proposer);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidL2BlockNumber.selector, START, START));
        oracle.proposeL2Output(keccak256("r"), START, bytes32(0), 0);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidL2BlockNumber.selector, 0, START));
        oracle.proposeL2Output(keccak256("r"), 0, bytes32(0), 0);
        vm.stopPrank();
    }

    function test_propose_revertsWhenNotIncreasing() public {
        _propose(110);
        _propose(120);
        vm.startPrank(proposer);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidL2BlockNumber.selector, 120, 120));
        oracle.proposeL2Output(keccak256("again"), 120, bytes32(0), 0);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidL2BlockNumber.selector, 110, 120));
        oracle.proposeL2Output(keccak256("older"), 110, bytes32(0), 0);
        vm.stopPrank();
    }

    function test_propose_revertsOffGrid() public {
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidL2BlockNumber.selector, 115, START));
        oracle.proposeL2Output(keccak256("r"), 115, bytes32(0), 0);
    }

    function test_propose_revertsAboveUint128() public {
        // The first grid point above type(uint128).max.
        uint256 big = START + ((uint256(type(uint128).max) - START) / INTERVAL + 1) * INTERVAL;
        vm.prank(proposer);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidL2BlockNumber.selector, big, START));
        oracle.proposeL2Output(keccak256("r"), big, bytes32(0), 0);
    }

    function test_propose_intervalOneMeansGreaterThanLast() public {
        L2OutputOracle o = new L2OutputOracle(admin, proposer, challenger, WINDOW, 0, 1);
        vm.startPrank(proposer);
        o.proposeL2Output(keccak256("a"), 1, bytes32(0), 0);
        o.proposeL2Output(keccak256("b"), 7, bytes32(0), 0);
        o.proposeL2Output(keccak256("c"), 8, bytes32(0), 0);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidL2BlockNumber.selector, 8, 8));
        o.proposeL2Output(keccak256("d"), 8, bytes32(0), 0);
        vm.stopPrank();
        assertEq(o.latestBlockNumber(), 8);
    }

    function test_propose_checksL1BlockHash() public {
        uint256 l1Block = block.number - 1;
        bytes32 l1Hash = blockhash(l1Block);
        assertTrue(l1Hash != bytes32(0));
        vm.prank(proposer);
        oracle.proposeL2Output(keccak256("r"), 110, l1Hash, l1Block);
        assertEq(oracle.nextOutputIndex(), 1);
    }

    function test_propose_revertsOnL1BlockHashMismatch() public {
        uint256 l1Block = block.number - 1;
        bytes32 wrong = keccak256("reorged away");
        vm.prank(proposer);
        vm.expectRevert(
            abi.encodeWithSelector(L2OutputOracle.L1BlockHashMismatch.selector, l1Block, wrong, blockhash(l1Block))
        );
        oracle.proposeL2Output(keccak256("r"), 110, wrong, l1Block);
    }

    function test_propose_revertsOnUnavailableL1BlockHash() public {
        bytes32 someHash = keccak256("x");
        vm.startPrank(proposer);
        // The current block has no hash yet ...
        vm.expectRevert(
            abi.encodeWithSelector(L2OutputOracle.L1BlockHashMismatch.selector, block.number, someHash, bytes32(0))
        );
        oracle.proposeL2Output(keccak256("r"), 110, someHash, block.number);
        // ... and blocks older than 256 have none any more.
        vm.expectRevert(
            abi.encodeWithSelector(
                L2OutputOracle.L1BlockHashMismatch.selector, block.number - 257, someHash, bytes32(0)
            )
        );
        oracle.proposeL2Output(keccak256("r"), 110, someHash, block.number - 257);
        vm.stopPrank();
    }

    function test_propose_zeroL1HashSkipsTheCheck() public {
        vm.prank(proposer);
        oracle.proposeL2Output(keccak256("r"), 110, bytes32(0), 123_456_789); // any block number
        assertEq(oracle.nextOutputIndex(), 1);
    }

    function test_propose_revertsForUnauthorisedCallers() public {
        bytes32 role = oracle.PROPOSER_ROLE();
        address[3] memory callers = [stranger, challenger, admin];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], role)
            );
            oracle.proposeL2Output(keccak256("r"), 110, bytes32(0), 0);
        }
    }

    function test_propose_rejectsEther() public {
        vm.deal(proposer, 1 ether);
        vm.prank(proposer);
        (bool ok,) = address(oracle).call{value: 1}(
            abi.encodeCall(L2OutputOracle.proposeL2Output, (keccak256("r"), 110, bytes32(0), 0))
        );
        assertFalse(ok);
        assertEq(oracle.nextOutputIndex(), 0);
    }

    function test_adminManagesRoles() public {
        bytes32 proposerRole = oracle.PROPOSER_ROLE();
        bytes32 adminRole = oracle.DEFAULT_ADMIN_ROLE();
        address second = makeAddr("second proposer");
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, adminRole)
        );
        oracle.grantRole(proposerRole, second);

        vm.prank(admin);
        oracle.grantRole(proposerRole, second);
        vm.prank(second);
        oracle.proposeL2Output(keccak256("r"), 110, bytes32(0), 0);

        vm.prank(admin);
        oracle.revokeRole(proposerRole, proposer);
        vm.prank(proposer);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, proposer, proposerRole)
        );
        oracle.proposeL2Output(keccak256("r"), 120, bytes32(0), 0);
    }

    // ---------------------------------------------------------------- deleting

    function test_delete_removesFromIndexOnwards() public {
        _propose(110);
        vm.warp(T0 + 10);
        _propose(120);
        _propose(130);

        vm.expectEmit(true, true, false, true);
        emit OutputsDeleted(3, 1);
        vm.prank(challenger);
        oracle.deleteL2Outputs(1);

        assertEq(oracle.nextOutputIndex(), 1);
        assertEq(oracle.latestOutputIndex(), 0);
        assertEq(oracle.latestBlockNumber(), 110);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.OutputNotFound.selector, 1));
        oracle.getL2Output(1);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.OutputNotFound.selector, 2));
        oracle.finalizationTime(2);
        assertFalse(oracle.isFinalized(1));

        // The deleted block numbers can be proposed again, with the corrected root.
        vm.warp(T0 + 20);
        bytes32 fixedRoot = keccak256("corrected 120");
        vm.expectEmit(true, true, true, true);
        emit OutputProposed(fixedRoot, 1, 120, T0 + 20);
        vm.prank(proposer);
        oracle.proposeL2Output(fixedRoot, 120, bytes32(0), 0);
        OutputProposal memory p = oracle.getL2Output(1);
        assertEq(p.outputRoot, fixedRoot);
        assertEq(uint256(p.timestamp), T0 + 20);
        assertEq(oracle.finalizationTime(1), T0 + 20 + WINDOW);
    }

    function test_delete_all() public {
        _propose(110);
        _propose(120);
        vm.prank(challenger);
        oracle.deleteL2Outputs(0);
        assertEq(oracle.nextOutputIndex(), 0);
        assertEq(oracle.latestBlockNumber(), START);
        vm.expectRevert(L2OutputOracle.NoOutputs.selector);
        oracle.latestOutputIndex();
    }

    function test_delete_revertsOnMissingIndex() public {
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.OutputNotFound.selector, 0));
        oracle.deleteL2Outputs(0);
        _propose(110);
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.OutputNotFound.selector, 1));
        oracle.deleteL2Outputs(1);
    }

    function test_delete_lastSecondOfWindowWorks() public {
        _propose(110);
        vm.warp(T0 + WINDOW - 1);
        assertFalse(oracle.isFinalized(0));
        vm.prank(challenger);
        oracle.deleteL2Outputs(0);
        assertEq(oracle.nextOutputIndex(), 0);
    }

    function test_delete_revertsOnceFinalized() public {
        _propose(110);
        vm.warp(T0 + WINDOW);
        assertTrue(oracle.isFinalized(0));
        vm.prank(challenger);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.OutputAlreadyFinalized.selector, 0, T0 + WINDOW));
        oracle.deleteL2Outputs(0);
    }

    function test_delete_laterOutputsStayDeletableAfterEarlierFinalise() public {
        _propose(110);
        vm.warp(T0 + 3 days);
        _propose(120);
        vm.warp(T0 + WINDOW + 1);
        assertTrue(oracle.isFinalized(0));
        assertFalse(oracle.isFinalized(1));
        vm.startPrank(challenger);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.OutputAlreadyFinalized.selector, 0, T0 + WINDOW));
        oracle.deleteL2Outputs(0);
        oracle.deleteL2Outputs(1);
        vm.stopPrank();
        assertEq(oracle.nextOutputIndex(), 1);
    }

    function test_delete_revertsForUnauthorisedCallers() public {
        _propose(110);
        bytes32 role = oracle.CHALLENGER_ROLE();
        address[3] memory callers = [stranger, proposer, admin];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], role)
            );
            oracle.deleteL2Outputs(0);
        }
        assertEq(oracle.nextOutputIndex(), 1);
    }

    // ---------------------------------------------------------------- finalisation and lookups

    function test_finalization_boundaries() public {
        _propose(110);
        assertEq(oracle.finalizationTime(0), T0 + WINDOW);
        assertFalse(oracle.isFinalized(0));
        vm.warp(T0 + WINDOW - 1);
        assertFalse(oracle.isFinalized(0));
        vm.warp(T0 + WINDOW);
        assertTrue(oracle.isFinalized(0));
        assertFalse(oracle.isFinalized(1));
    }

    function test_indexAfter() public {
        _propose(110);
        _propose(120);
        _propose(150);
        _propose(200);
        assertEq(oracle.getL2OutputIndexAfter(0), 0);
        assertEq(oracle.getL2OutputIndexAfter(110), 0);
        assertEq(oracle.getL2OutputIndexAfter(111), 1);
        assertEq(oracle.getL2OutputIndexAfter(120), 1);
        assertEq(oracle.getL2OutputIndexAfter(121), 2);
        assertEq(oracle.getL2OutputIndexAfter(150), 2);
        assertEq(oracle.getL2OutputIndexAfter(151), 3);
        assertEq(oracle.getL2OutputIndexAfter(200), 3);
        assertEq(uint256(oracle.getL2OutputAfter(130).l2BlockNumber), 150);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.NoOutputAtOrAfter.selector, 201, 200));
        oracle.getL2OutputIndexAfter(201);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.NoOutputAtOrAfter.selector, 201, 200));
        oracle.getL2OutputAfter(201);
    }

    function test_indexAfter_ignoresDeletedOutputs() public {
        _propose(110);
        _propose(120);
        _propose(130);
        vm.prank(challenger);
        oracle.deleteL2Outputs(2);
        assertEq(oracle.getL2OutputIndexAfter(120), 1);
        vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.NoOutputAtOrAfter.selector, 121, 120));
        oracle.getL2OutputIndexAfter(121);
    }

    // ---------------------------------------------------------------- fuzz

    /// @dev Arbitrary proposal attempts over time: a proposal succeeds exactly when it is above
    /// the latest block and on the grid; the stored block numbers strictly increase and the
    /// timestamps never decrease.
    function testFuzz_outputsMonotonic(uint256[12] memory blocks, uint256[12] memory gaps) public {
        for (uint256 i = 0; i < blocks.length; i++) {
            vm.warp(block.timestamp + bound(gaps[i], 0, 1 days));
            // Half the attempts land on the grid (valid when above the latest), half anywhere.
            uint256 l2Block =
                blocks[i] % 2 == 0 ? START + INTERVAL * bound(blocks[i] >> 1, 0, 30) : bound(blocks[i], 0, 400);
            uint256 latest = oracle.latestBlockNumber();
            bool valid = l2Block > latest && (l2Block - START) % INTERVAL == 0;
            vm.prank(proposer);
            if (!valid) {
                vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.InvalidL2BlockNumber.selector, l2Block, latest));
            }
            oracle.proposeL2Output(keccak256(abi.encode(i)), l2Block, bytes32(0), 0);
            if (valid) assertEq(oracle.latestBlockNumber(), l2Block);
        }
        uint256 n = oracle.nextOutputIndex();
        for (uint256 i = 1; i < n; i++) {
            OutputProposal memory prev = oracle.getL2Output(i - 1);
            OutputProposal memory cur = oracle.getL2Output(i);
            assertTrue(cur.l2BlockNumber > prev.l2BlockNumber, "block numbers strictly increase");
            assertGe(cur.timestamp, prev.timestamp);
            assertEq((uint256(cur.l2BlockNumber) - START) % INTERVAL, 0);
        }
    }

    /// @dev Deletion succeeds iff the output is still inside its window, and is exactly the
    /// complement of isFinalized.
    function testFuzz_deleteOnlyInsideWindow(uint256 window, uint256 elapsed) public {
        window = bound(window, 1, 365 days);
        elapsed = bound(elapsed, 0, 2 * 365 days);
        L2OutputOracle o = new L2OutputOracle(admin, proposer, challenger, window, START, INTERVAL);
        vm.prank(proposer);
        o.proposeL2Output(keccak256("r"), 110, bytes32(0), 0);
        vm.warp(T0 + elapsed);
        bool finalized = o.isFinalized(0);
        assertEq(finalized, elapsed >= window);
        vm.prank(challenger);
        if (finalized) {
            vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.OutputAlreadyFinalized.selector, 0, T0 + window));
            o.deleteL2Outputs(0);
            assertEq(o.nextOutputIndex(), 1);
        } else {
            o.deleteL2Outputs(0);
            assertEq(o.nextOutputIndex(), 0);
        }
    }

    /// @dev The binary search agrees with a linear scan.
    function testFuzz_indexAfterMatchesLinearScan(uint8 count, uint256 seed, uint256 query) public {
        uint256 n = bound(count, 1, 20);
        uint256 l2Block = START;
        for (uint256 i = 0; i < n; i++) {
            l2Block += INTERVAL * (1 + (uint256(keccak256(abi.encode(seed, i))) % 4));
            _propose(l2Block);
        }
        query = bound(query, 0, l2Block + 50);
        if (query > l2Block) {
            vm.expectRevert(abi.encodeWithSelector(L2OutputOracle.NoOutputAtOrAfter.selector, query, l2Block));
            oracle.getL2OutputIndexAfter(query);
            return;
        }
        uint256 expected = 0;
        while (oracle.getL2Output(expected).l2BlockNumber < query) expected++;
        assertEq(oracle.getL2OutputIndexAfter(query), expected);
    }

    // ---------------------------------------------------------------- helpers

    function _propose(uint256 l2Block) internal {
        vm.prank(proposer);
        oracle.proposeL2Output(keccak256(abi.encode("root", l2Block)), l2Block, bytes32(0), 0);
    }
}
