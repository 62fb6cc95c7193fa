// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {AttributionRewards} from "../../src/l2/AttributionRewards.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @notice A contract that refuses native OPEN.
contract RefusingClaimer {
    /// @notice Claims its credit to itself (which must fail).
    function claimFrom(AttributionRewards r) external {
        r.claim();
    }
}

/// @notice A claimer that tries to claim again while being paid.
contract ReenteringClaimer {
    AttributionRewards internal immutable rewards;
    bool internal useClaimTo;

    constructor(AttributionRewards r) {
        rewards = r;
    }

    /// @notice Claims; the payment re-enters `claim` (or `claimTo`).
    function attack(bool viaClaimTo) external {
        useClaimTo = viaClaimTo;
        rewards.claim();
    }

    receive() external payable {
        if (useClaimTo) rewards.claimTo(payable(address(this)));
        else rewards.claim();
    }
}

/// @notice Unit, fuzz and gas tests of AttributionRewards.
contract AttributionRewardsTest is Test {
    event Settled(bytes32 indexed inferenceId, bytes32 indexed evidenceHash, uint256 total, uint256 contributorCount);
    event Credited(bytes32 indexed inferenceId, address indexed contributor, uint256 amount);
    event Claimed(address indexed account, address indexed to, uint256 amount);
    /// @notice Forge prints these in the test's logs (DSTest convention), for the gas figures.
    event log_named_uint(string key, uint256 val);

    AttributionRewards internal rewards;
    address internal admin;
    address internal worker;
    address internal stranger;
    address internal alice;
    address internal bob;
    address internal carol;

    bytes32 internal constant ID1 = bytes32(bytes16(0x0190f3a1b2c37d4e8f9a0b1c2d3e4f50));
    bytes32 internal constant ID2 = bytes32(bytes16(0x0190f3a1b2c37d4e8f9a0b1c2d3e4f51));
    bytes32 internal constant ID3 = bytes32(bytes16(0x0190f3a1b2c37d4e8f9a0b1c2d3e4f52));
    bytes32 internal constant EVIDENCE = keccak256("evidence-1");

    function setUp() public {
        admin = makeAddr("admin");
        worker = makeAddr("worker");
        stranger = makeAddr("stranger");
        alice = makeAddr("alice");
        bob = makeAddr("bob");
        carol = makeAddr("carol");
        rewards = new AttributionRewards(admin);
        bytes32 role = rewards.ATTRIBUTION_ROLE();
        vm.prank(admin);
        rewards.grantRole(role, worker);
        vm.deal(worker, 1_000_000 ether);
        vm.deal(stranger, 100 ether);
    }

    function _two(address a, address b) internal pure returns (address[] memory xs) {
        xs = new address[](2);
        xs[0] = a;
        xs[1] = b;
    }

    function _two(uint256 a, uint256 b) internal pure returns (uint256[] memory xs) {
        xs = new uint256[](2);
        xs[0] = a;
        xs[1] = b;
    }

    function _settleAliceBob() internal {
        vm.prank(worker);
        rewards.settle{value: 3 ether}(ID1, _two(alice, bob), _two(1 ether, 2 ether), EVIDENCE);
    }

    // ---------------------------------------------------------------- construction and roles

    function test_constructor_roles() public view {
        assertTrue(rewards.hasRole(rewards.DEFAULT_ADMIN_ROLE(), admin));
        assertTrue(rewards.hasRole(rewards.ATTRIBUTION_ROLE(), worker));
        assertFalse(rewards.hasRole(rewards.ATTRIBUTION_ROLE(), admin));
        assertEq(rewards.ATTRIBUTION_ROLE(), keccak256("ATTRIBUTION_ROLE"));
    }

    function test_constructor_revertsOnZeroAdmin() public {
        vm.expectRevert(AttributionRewards.ZeroAddress.selector);
        new AttributionRewards(address(0));
    }

    function test_restricted_rejectUnauthorised() public {
        bytes32 role = rewards.ATTRIBUTION_ROLE();
        bytes32 adminRole = rewards.DEFAULT_ADMIN_ROLE();
        address[2] memory callers = [stranger, admin]; // the admin does not settle either
        for (uint256 i; i < callers.length; ++i) {
            address who = callers[i];
            vm.deal(who, 10 ether);
            vm.startPrank(who);
            vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, who, role));
            rewards.settle{value: 3 ether}(ID1, _two(alice, bob), _two(1 ether, 2 ether), EVIDENCE);
            AttributionRewards.Settlement[] memory batch = new AttributionRewards.Settlement[](1);
            batch[0] = AttributionRewards.Settlement(ID1, _two(alice, bob), _two(1 ether, 2 ether), EVIDENCE);
            vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, who, role));
            rewards.settleBatch{value: 3 ether}(batch);
            vm.stopPrank();
        }
        // only the admin grants the role; the worker cannot grant it onwards
        address[2] memory granters = [stranger, worker];
        for (uint256 i; i < granters.length; ++i) {
            vm.prank(granters[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, granters[i], adminRole)
            );
            rewards.grantRole(role, stranger);
        }
        assertFalse(rewards.isSettled(ID1));
    }

    function test_admin_revokesWorker() public {
        bytes32 role = rewards.ATTRIBUTION_ROLE();
        vm.prank(admin);
        rewards.revokeRole(role, worker);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, worker, role));
        rewards.settle{value: 3 ether}(ID1, _two(alice, bob), _two(1 ether, 2 ether), EVIDENCE);
    }

    // ---------------------------------------------------------------- settle

    function test_settle_creditsAndRecords() public {
        vm.warp(1_700_000_000);
        vm.roll(4242);
        vm.expectEmit();
        emit Credited(ID1, alice, 1 ether);
        vm.expectEmit();
        emit Credited(ID1, bob, 2 ether);
        vm.expectEmit();
        emit Settled(ID1, EVIDENCE, 3 ether, 2);
        _settleAliceBob();

        assertEq(rewards.claimable(alice), 1 ether);
        assertEq(rewards.claimable(bob), 2 ether);
        assertEq(rewards.claimed(alice), 0);
        assertEq(address(rewards).balance, 3 ether);
        assertTrue(rewards.isSettled(ID1));
        assertFalse(rewards.isSettled(ID2));
        (bytes32 eh, uint256 total, uint256 count, uint256 blockNumber, uint256 timestamp) = rewards.settlement(ID1);
        assertEq(eh, EVIDENCE);
        assertEq(total, 3 ether);
        assertEq(count, 2);
        assertEq(blockNumber, 4242);
        assertEq(timestamp, 1_700_000_000);
    }

    function test_settlement_unknownIsZero() public view {
        (bytes32 eh, uint256 total, uint256 count, uint256 blockNumber, uint256 timestamp) = rewards.settlement(ID3);
        assertEq(eh, bytes32(0));
        assertEq(total + count + blockNumber + timestamp, 0);
    }

    function test_settle_accumulatesAcrossInferencesAndRepeats() public {
        _settleAliceBob();
        address[] memory cs = new address[](3);
        cs[0] = alice;
        cs[1] = carol;
        cs[2] = alice; // a repeated address (e.g. also the model owner) adds up
        uint256[] memory as_ = new uint256[](3);
        as_[0] = 5;
        as_[1] = 7;
        as_[2] = 11;
        vm.prank(worker);
        rewards.settle{value: 23}(ID2, cs, as_, keccak256("evidence-2"));
        assertEq(rewards.claimable(alice), 1 ether + 16);
        assertEq(rewards.claimable(carol), 7);
        (, uint256 total, uint256 count,,) = rewards.settlement(ID2);
        assertEq(total, 23);
        assertEq(count, 3);
        assertEq(address(rewards).balance, 3 ether + 23);
    }

    function test_settle_emptyRecordsEvidenceOnly() public {
        // NOT_ATTRIBUTABLE with nothing credited here: the evidence hash is still recorded.
        vm.expectEmit();
        emit Settled(ID1, EVIDENCE, 0, 0);
        vm.prank(worker);
        rewards.settle(ID1, new address[](0), new uint256[](0), EVIDENCE);
        assertTrue(rewards.isSettled(ID1));
    }

    function test_settle_zeroAmountEntryAllowed() public {
        vm.prank(worker);
        rewards.settle{value: 1}(ID1, _two(alice, bob), _two(1, 0), EVIDENCE);
        assertEq(rewards.claimable(bob), 0);
    }

    function test_settle_revertsAlreadySettled() public {
        _settleAliceBob();
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.AlreadySettled.selector, ID1));
        rewards.settle{value: 3 ether}(ID1, _two(alice, bob), _two(1 ether, 2 ether), keccak256("other"));
        assertEq(rewards.claimable(alice), 1 ether);
    }

    function test_settle_revertsAlreadySettledAfterClaims() public {
        _settleAliceBob();
        vm.prank(alice);
        rewards.claim();
        vm.prank(bob);
        rewards.claim();
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.AlreadySettled.selector, ID1));
        rewards.settle{value: 3 ether}(ID1, _two(alice, bob), _two(1 ether, 2 ether), EVIDENCE);
    }

    function test_settle_revertsLengthMismatch() public {
        uint256[] memory one = new uint256[](1);
        one[0] = 3 ether;
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.LengthMismatch.selector, ID1, 2, 1));
        rewards.settle{value: 3 ether}(ID1, _two(alice, bob), one, EVIDENCE);
    }

    function test_settle_revertsZeroContributor() public {
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.ZeroContributor.selector, ID1, 1));
        rewards.settle{value: 3 ether}(ID1, _two(alice, address(0)), _two(1 ether, 2 ether), EVIDENCE);
    }

    function test_settle_revertsEmptyEvidenceHash() public {
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.EmptyEvidenceHash.selector, ID1));
        rewards.settle{value: 3 ether}(ID1, _two(alice, bob), _two(1 ether, 2 ether), bytes32(0));
    }

    function test_settle_revertsValueMismatch() public {
        vm.startPrank(worker);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.ValueMismatch.selector, 3 ether, 3 ether - 1));
        rewards.settle{value: 3 ether - 1}(ID1, _two(alice, bob), _two(1 ether, 2 ether), EVIDENCE);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.ValueMismatch.selector, 3 ether, 3 ether + 1));
        rewards.settle{value: 3 ether + 1}(ID1, _two(alice, bob), _two(1 ether, 2 ether), EVIDENCE);
        // amounts that overflow uint256 saturate instead of panicking (and cannot wrap to msg.value)
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.ValueMismatch.selector, type(uint256).max, 1 ether));
        rewards.settle{value: 1 ether}(ID1, _two(alice, bob), _two(type(uint256).max, 1 ether + 1), EVIDENCE);
        vm.stopPrank();
        assertFalse(rewards.isSettled(ID1));
    }

    // ---------------------------------------------------------------- settleBatch

    function _batch3() internal view returns (AttributionRewards.Settlement[] memory b) {
        b = new AttributionRewards.Settlement[](3);
        b[0] = AttributionRewards.Settlement(ID1, _two(alice, bob), _two(1 ether, 2 ether), EVIDENCE);
        b[1] = AttributionRewards.Settlement(ID2, _two(bob, carol), _two(3, 4), keccak256("e2"));
        b[2] = AttributionRewards.Settlement(ID3, new address[](0), new uint256[](0), keccak256("e3"));
    }

    function test_settleBatch_settlesAll() public {
        vm.expectEmit();
        emit Credited(ID1, alice, 1 ether);
        vm.expectEmit();
        emit Credited(ID1, bob, 2 ether);
        vm.expectEmit();
        emit Settled(ID1, EVIDENCE, 3 ether, 2);
        vm.expectEmit();
        emit Credited(ID2, bob, 3);
        vm.expectEmit();
        emit Credited(ID2, carol, 4);
        vm.expectEmit();
        emit Settled(ID2, keccak256("e2"), 7, 2);
        vm.expectEmit();
        emit Settled(ID3, keccak256("e3"), 0, 0);
        vm.prank(worker);
        rewards.settleBatch{value: 3 ether + 7}(_batch3());
        assertTrue(rewards.isSettled(ID1) && rewards.isSettled(ID2) && rewards.isSettled(ID3));
        assertEq(rewards.claimable(bob), 2 ether + 3);
        assertEq(rewards.claimable(carol), 4);
        assertEq(address(rewards).balance, 3 ether + 7);
    }

    function test_settleBatch_revertsValueMismatch() public {
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.ValueMismatch.selector, 3 ether + 7, 3 ether));
        rewards.settleBatch{value: 3 ether}(_batch3());
    }

    function test_settleBatch_revertsEmpty() public {
        vm.prank(worker);
        vm.expectRevert(AttributionRewards.EmptyBatch.selector);
        rewards.settleBatch(new AttributionRewards.Settlement[](0));
    }

    function test_settleBatch_isAtomic() public {
        _settleAliceBob(); // ID1 already settled: the whole batch must revert
        AttributionRewards.Settlement[] memory b = _batch3();
        // put the already-settled one last so the others were written before the revert
        (b[0], b[2]) = (b[2], b[0]);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.AlreadySettled.selector, ID1));
        rewards.settleBatch{value: 3 ether + 7}(b);
        assertFalse(rewards.isSettled(ID2));
        assertFalse(rewards.isSettled(ID3));
        assertEq(rewards.claimable(carol), 0);
        assertEq(address(rewards).balance, 3 ether);
    }

    function test_settleBatch_rejectsSameInferenceTwice() public {
        AttributionRewards.Settlement[] memory b = new AttributionRewards.Settlement[](2);
        b[0] = AttributionRewards.Settlement(ID1, _two(alice, bob), _two(1, 2), EVIDENCE);
        b[1] = AttributionRewards.Settlement(ID1, _two(alice, bob), _two(1, 2), EVIDENCE);
        vm.prank(worker);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.AlreadySettled.selector, ID1));
        rewards.settleBatch{value: 6}(b);
    }

    function test_settleBatch_propagatesEntryErrors() public {
        AttributionRewards.Settlement[] memory b = _batch3();
        b[1].evidenceHash = bytes32(0);
        vm.startPrank(worker);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.EmptyEvidenceHash.selector, ID2));
        rewards.settleBatch{value: 3 ether + 7}(b);
        b = _batch3();
        b[1].contributors[0] = address(0);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.ZeroContributor.selector, ID2, 0));
        rewards.settleBatch{value: 3 ether + 7}(b);
        b = _batch3();
        b[1].contributors = new address[](1);
        b[1].contributors[0] = bob;
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.LengthMismatch.selector, ID2, 1, 2));
        rewards.settleBatch{value: 3 ether + 7}(b);
        vm.stopPrank();
    }

    // ---------------------------------------------------------------- claims

    function test_claim_paysAndZeroes() public {
        _settleAliceBob();
        vm.expectEmit();
        emit Claimed(bob, bob, 2 ether);
        vm.prank(bob);
        uint256 paid = rewards.claim();
        assertEq(paid, 2 ether);
        assertEq(bob.balance, 2 ether);
        assertEq(rewards.claimable(bob), 0);
        assertEq(rewards.claimed(bob), 2 ether);
        assertEq(address(rewards).balance, 1 ether);
        // credits from a later settlement add to claimed on the next claim
        vm.prank(worker);
        rewards.settle{value: 5}(ID2, _two(bob, alice), _two(4, 1), keccak256("e2"));
        vm.prank(bob);
        rewards.claim();
        assertEq(rewards.claimed(bob), 2 ether + 4);
    }

    function test_claimTo_paysRecipient() public {
        _settleAliceBob();
        vm.expectEmit();
        emit Claimed(alice, carol, 1 ether);
        vm.prank(alice);
        rewards.claimTo(payable(carol));
        assertEq(carol.balance, 1 ether);
        assertEq(alice.balance, 0);
        assertEq(rewards.claimed(alice), 1 ether);
        assertEq(rewards.claimable(alice), 0);
    }

    function test_claim_revertsNothingToClaim() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.NothingToClaim.selector, alice));
        rewards.claim();
        _settleAliceBob();
        vm.startPrank(alice);
        rewards.claim();
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.NothingToClaim.selector, alice));
        rewards.claim();
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.NothingToClaim.selector, alice));
        rewards.claimTo(payable(carol));
        vm.stopPrank();
    }

    function test_claimTo_revertsZeroAddress() public {
        _settleAliceBob();
        vm.prank(alice);
        vm.expectRevert(AttributionRewards.ZeroAddress.selector);
        rewards.claimTo(payable(address(0)));
    }

    function test_claim_revertsWhenTransferFails() public {
        RefusingClaimer r = new RefusingClaimer();
        vm.prank(worker);
        rewards.settle{value: 3}(ID1, _two(address(r), alice), _two(2, 1), EVIDENCE);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.TransferFailed.selector, address(r), 2));
        r.claimFrom(rewards);
        assertEq(rewards.claimable(address(r)), 2); // rolled back, still claimable
        // the account can redirect its credit with claimTo
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.TransferFailed.selector, address(r), 1));
        rewards.claimTo(payable(address(r)));
        assertEq(rewards.claimable(alice), 1);
    }

    function test_claim_blocksReentrancy() public {
        ReenteringClaimer r = new ReenteringClaimer(rewards);
        vm.prank(worker);
        rewards.settle{value: 10}(ID1, _two(address(r), alice), _two(5, 5), EVIDENCE);
        // the nested claim / claimTo reverts (ReentrancyGuardReentrantCall), so the send fails
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.TransferFailed.selector, address(r), 5));
        r.attack(false);
        vm.expectRevert(abi.encodeWithSelector(AttributionRewards.TransferFailed.selector, address(r), 5));
        r.attack(true);
        assertEq(address(rewards).balance, 10);
        assertEq(rewards.claimable(address(r)), 5);
    }

    function test_noDirectPayments() public {
        vm.prank(stranger);
        (bool ok,) = address(rewards).call{value: 1 ether}("");
        assertFalse(ok);
    }

    // ---------------------------------------------------------------- fuzz

    address[] internal pool;
    mapping(address => uint256) internal credited;

    /// @dev One random settlement of up to 12 credits to the pool (repeats allowed).
    function _randomSettle(uint256 seed, uint256 s) internal {
        uint256 n = bound(uint256(keccak256(abi.encode(seed, s))), 0, 12);
        address[] memory cs = new address[](n);
        uint256[] memory as_ = new uint256[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, s, i)));
            cs[i] = pool[r % pool.length];
            as_[i] = bound(r >> 8, 0, 1000 ether);
            credited[cs[i]] += as_[i];
            total += as_[i];
        }
        vm.prank(worker);
        rewards.settle{value: total}(bytes32(s + 1), cs, as_, keccak256(abi.encode(seed, s)));
    }

    /// @dev Settling random credits to a small address pool, then claiming some of them, keeps
    /// the contract's balance equal to the sum of what is claimable, and every account's
    /// credited total equal to its claimable plus claimed (and to what it received).
    function testFuzz_settleThenClaim_conservesValue(uint256 seed, uint8 settlements, uint8 claimMask) public {
        pool = [alice, bob, carol, makeAddr("dan"), makeAddr("eve"), makeAddr("frank")];
        uint256 nSettle = bound(settlements, 1, 6);
        for (uint256 s; s < nSettle; ++s) {
            _randomSettle(seed, s);
            // the masked accounts claim after each settlement
            for (uint256 k; k < pool.length; ++k) {
                if ((claimMask >> k) & 1 == 1 && rewards.claimable(pool[k]) > 0) {
                    vm.prank(pool[k]);
                    rewards.claim();
                }
            }
            uint256 sumClaimable;
            for (uint256 k; k < pool.length; ++k) {
                address a = pool[k];
                sumClaimable += rewards.claimable(a);
                assertEq(rewards.claimable(a) + rewards.claimed(a), credited[a]);
                assertEq(a.balance, rewards.claimed(a));
            }
            assertEq(address(rewards).balance, sumClaimable, "balance != sum of claimable");
        }
    }

    function testFuzz_settle_valueMustEqualSum(uint128 a, uint128 b, uint256 value) public {
        uint256 sum = uint256(a) + uint256(b);
        value = bound(value, 0, 2 * uint256(type(uint128).max));
        vm.deal(worker, value);
        vm.prank(worker);
        if (value != sum) {
            vm.expectRevert(abi.encodeWithSelector(AttributionRewards.ValueMismatch.selector, sum, value));
        }
        rewards.settle{value: value}(ID1, _two(alice, bob), _two(a, b), EVIDENCE);
        assertEq(rewards.isSettled(ID1), value == sum);
        assertEq(address(rewards).balance, value == sum ? sum : 0);
    }

    // ---------------------------------------------------------------- gas (see the report)

    function _contributors(uint256 n, uint256 salt) internal pure returns (address[] memory cs, uint256[] memory as_) {
        cs = new address[](n);
        as_ = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            cs[i] = address(uint160(uint256(keccak256(abi.encode(salt, i)))));
            as_[i] = 1e15 + i;
        }
    }

    function _gasSettle(uint256 n, bytes32 id, uint256 salt) internal returns (uint256 used) {
        (address[] memory cs, uint256[] memory as_) = _contributors(n, salt);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            total += as_[i];
        }
        vm.prank(worker);
        uint256 before = gasleft();
        rewards.settle{value: total}(id, cs, as_, EVIDENCE);
        used = before - gasleft();
    }

    function test_gas_settle10And100() public {
        // New contributors (each credit writes a fresh storage slot: the worst case).
        uint256 g10 = _gasSettle(10, bytes32(uint256(1)), 1);
        uint256 g100 = _gasSettle(100, bytes32(uint256(2)), 2);
        // The same contributors again (their slots already hold credit).
        uint256 g10warm = _gasSettle(10, bytes32(uint256(3)), 1);
        uint256 g100warm = _gasSettle(100, bytes32(uint256(4)), 2);
        emit log_named_uint("settle 10 new contributors", g10);
        emit log_named_uint("settle 100 new contributors", g100);
        emit log_named_uint("settle 10 existing contributors", g10warm);
        emit log_named_uint("settle 100 existing contributors", g100warm);
        // Keep a 100-contributor settlement far inside a 30M-gas L2 block.
        assertLe(g100, 3_000_000);
        assertLe(g10, 400_000);
    }

    function test_gas_settleBatch10x10() public {
        AttributionRewards.Settlement[] memory b = new AttributionRewards.Settlement[](10);
        uint256 total;
        for (uint256 s; s < 10; ++s) {
            (address[] memory cs, uint256[] memory as_) = _contributors(10, 100 + s);
            for (uint256 i; i < 10; ++i) {
                total += as_[i];
            }
            b[s] = AttributionRewards.Settlement(bytes32(s + 1), cs, as_, EVIDENCE);
        }
        vm.prank(worker);
        uint256 before = gasleft();
        rewards.settleBatch{value: total}(b);
        emit log_named_uint("settleBatch 10 x 10 new contributors", before - gasleft());
    }
}
