// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {DatanetRegistry} from "../../src/l2/DatanetRegistry.sol";
import {IProtocolParams, Params} from "../../src/interfaces/IProtocolParams.sol";
import {ProtocolParams} from "../../src/l2/ProtocolParams.sol";

/// @notice An account that refuses native OPEN (a treasury or contributor whose transfer fails).
contract DatanetRejectingReceiver {
    receive() external payable {
        revert("no");
    }

    function stakeIn(DatanetRegistry reg, bytes32 id) external payable {
        reg.stake{value: msg.value}(id);
    }

    function requestUnstake(DatanetRegistry reg, bytes32 id, uint256 amount) external {
        reg.requestUnstake(id, amount);
    }

    function withdrawStake(DatanetRegistry reg, bytes32 id) external {
        reg.withdrawStake(id);
    }
}

/// @notice A contributor that tries to withdraw twice by re-entering from its receive hook.
contract DatanetReenteringContributor {
    DatanetRegistry internal immutable reg;
    bytes32 internal immutable id;
    bool internal entered;

    constructor(DatanetRegistry reg_, bytes32 id_) {
        reg = reg_;
        id = id_;
    }

    function stakeAndUnstake() external payable {
        reg.stake{value: msg.value}(id);
        reg.requestUnstake(id, msg.value);
    }

    function withdraw() external {
        reg.withdrawStake(id);
    }

    receive() external payable {
        if (!entered) {
            entered = true;
            reg.withdrawStake(id);
        }
    }
}

contract DatanetRegistryTest is Test {
    DatanetRegistry internal reg;
    ProtocolParams internal params;

    address internal admin = makeAddr("admin");
    address internal registrar = makeAddr("registrar");
    address internal curation = makeAddr("curation");
    address internal treasury = makeAddr("treasury");
    address internal curator = makeAddr("curator");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal stranger = makeAddr("stranger");

    uint64 internal constant COOLDOWN = 3 days;
    uint256 internal constant REQUIRED = 10 ether;
    bytes32 internal constant META = keccak256("metadata v1");
    // keccak256("medicine"), checked against Python's eth_utils in test_datanetIdIsKeccakOfName.
    bytes32 internal constant MEDICINE = 0x1d3845624ceb5d5db7a1282a6ab06f8f4492ac8cd10a111154e7e732c8bcc32f;
    bytes32 internal id;

    function setUp() public {
        vm.warp(1_700_000_000);
        params = new ProtocolParams(
            address(this), // the test stands in for the timelock, so it may change the rates
            Params({
                attributionThresholdBps: 100,
                contributorsBps: 7000,
                modelOwnerBps: 2000,
                protocolBps: 1000,
                challengeWindowSeconds: 7 days,
                contributorSlashBps: 1000,
                providerSlashBps: 2000
            })
        );
        // ProtocolParams starts with the timelock (this test) as treasury; name a plain account
        // so that balances show exactly what slashes paid.
        params.setTreasury(treasury);
        reg = new DatanetRegistry(admin, params, COOLDOWN);
        vm.startPrank(admin);
        reg.grantRole(reg.REGISTRAR_ROLE(), registrar);
        reg.grantRole(reg.CURATION_ROLE(), curation);
        vm.stopPrank();
        id = keccak256(bytes("medicine"));
        vm.prank(registrar);
        reg.createDatanet(id, curator, REQUIRED, META);
        vm.deal(alice, 1000 ether);
        vm.deal(bob, 1000 ether);
        vm.deal(carol, 1000 ether);
        vm.deal(stranger, 1000 ether);
    }

    // ------------------------------------------------------------------ helpers

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    function _stake(address who, uint256 amount) internal {
        vm.prank(who);
        reg.stake{value: amount}(id);
    }

    function _anchor(uint64 seq, bytes32 root, uint64 count) internal {
        vm.prank(curation);
        reg.anchorSnapshot(id, seq, root, count, keccak256(abi.encode("jsonl", seq)));
    }

    /// @dev Leaf i as snapshot.proto defines it (scheme "openledger.datanet.merkle.v1").
    function _leaf(uint256 i, string memory recordId, address contributor, bytes32 contentHash, bytes32 curatedHash)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(i, recordId, contributor, contentHash, curatedHash))));
    }

    /// @dev The next level of the tree: pairs (0,1), (2,3), ... hashed sorted; an odd last node
    /// is carried up unchanged.
    function _nextLevel(bytes32[] memory level) internal pure returns (bytes32[] memory next) {
        next = new bytes32[]((level.length + 1) / 2);
        for (uint256 j = 0; j < level.length; j += 2) {
            next[j / 2] = j + 1 < level.length ? Hashes.commutativeKeccak256(level[j], level[j + 1]) : level[j];
        }
    }

    function _root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            level = _nextLevel(level);
        }
        return level[0];
    }

    /// @dev Sibling hashes bottom-up; levels where the node is carried up add no entry.
    function _proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory proof) {
        bytes32[] memory buf = new bytes32[](256);
        uint256 n;
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < level.length) buf[n++] = level[sibling];
            index /= 2;
            level = _nextLevel(level);
        }
        proof = new bytes32[](n);
        for (uint256 k = 0; k < n; ++k) {
            proof[k] = buf[k];
        }
    }

    function _leaves(uint256 count, uint256 salt) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            leaves[i] = _leaf(
                i,
                string.concat("record-", _utoa(i)),
                address(uint160(uint256(keccak256(abi.encode(salt, i))))),
                keccak256(abi.encode("content", salt, i)),
                keccak256(abi.encode("curated", salt, i))
            );
        }
    }

    function _utoa(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory b;
        while (v != 0) {
            b = bytes.concat(bytes1(uint8(48 + (v % 10))), b);
            v /= 10;
        }
        return string(b);
    }

    // ------------------------------------------------------------------ constructor

    function test_constructor_setsFields() public view {
        assertTrue(reg.hasRole(reg.DEFAULT_ADMIN_ROLE(), admin));
        assertEq(address(reg.params()), address(params));
        assertEq(reg.treasury(), treasury);
        assertEq(reg.unstakeCooldownSeconds(), COOLDOWN);
    }

    function test_constructor_rejectsZeroAddresses() public {
        vm.expectRevert(DatanetRegistry.ZeroAddress.selector);
        new DatanetRegistry(address(0), params, COOLDOWN);
        vm.expectRevert(DatanetRegistry.ZeroAddress.selector);
        new DatanetRegistry(admin, IProtocolParams(address(0)), COOLDOWN);
    }

    function test_datanetIdIsKeccakOfName() public view {
        assertEq(id, MEDICINE);
        assertTrue(reg.datanetExists(MEDICINE));
    }

    // ------------------------------------------------------------------ datanets

    function test_createDatanet_storesAndEmits() public {
        bytes32 other = keccak256(bytes("solidity"));
        vm.expectEmit();
        emit DatanetRegistry.DatanetCreated(other, alice, 5 ether, META);
        vm.prank(registrar);
        reg.createDatanet(other, alice, 5 ether, META);
        DatanetRegistry.Datanet memory d = reg.datanet(other);
        assertEq(d.curator, alice);
        assertEq(d.stakeRequired, 5 ether);
        assertEq(d.metadataHash, META);
        assertEq(d.latestSnapshotSequence, 0);
        assertEq(d.createdAt, block.timestamp);
    }

    function test_createDatanet_onlyRegistrar() public {
        bytes32 other = keccak256(bytes("solidity"));
        vm.expectRevert(_unauthorized(stranger, reg.REGISTRAR_ROLE()));
        vm.prank(stranger);
        reg.createDatanet(other, alice, 0, META);
        // Neither the curation role nor the admin itself may create without REGISTRAR_ROLE.
        vm.expectRevert(_unauthorized(curation, reg.REGISTRAR_ROLE()));
        vm.prank(curation);
        reg.createDatanet(other, alice, 0, META);
        vm.expectRevert(_unauthorized(admin, reg.REGISTRAR_ROLE()));
        vm.prank(admin);
        reg.createDatanet(other, alice, 0, META);
    }

    function test_createDatanet_rejectsDuplicate() public {
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DatanetAlreadyExists.selector, id));
        vm.prank(registrar);
        reg.createDatanet(id, alice, 0, META);
    }

    function test_createDatanet_rejectsZeroIdAndCurator() public {
        vm.startPrank(registrar);
        vm.expectRevert(DatanetRegistry.ZeroDatanetId.selector);
        reg.createDatanet(bytes32(0), alice, 0, META);
        vm.expectRevert(DatanetRegistry.ZeroAddress.selector);
        reg.createDatanet(keccak256("x"), address(0), 0, META);
        vm.stopPrank();
    }

    function test_updateDatanet_byCurator() public {
        bytes32 meta2 = keccak256("metadata v2");
        vm.expectEmit();
        emit DatanetRegistry.DatanetUpdated(id, curator, 20 ether, meta2, curator);
        vm.prank(curator);
        reg.updateDatanet(id, curator, 20 ether, meta2);
        DatanetRegistry.Datanet memory d = reg.datanet(id);
        assertEq(d.stakeRequired, 20 ether);
        assertEq(d.metadataHash, meta2);
    }

    function test_updateDatanet_byRegistrar_transfersCuratorship() public {
        vm.prank(registrar);
        reg.updateDatanet(id, alice, REQUIRED, META);
        assertEq(reg.datanet(id).curator, alice);
        // The former curator lost the right; the new one has it.
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.NotCuratorOrRegistrar.selector, curator));
        vm.prank(curator);
        reg.updateDatanet(id, curator, REQUIRED, META);
        vm.prank(alice);
        reg.updateDatanet(id, bob, 1, META);
        assertEq(reg.datanet(id).curator, bob);
        assertEq(reg.datanet(id).stakeRequired, 1);
    }

    function test_updateDatanet_rejectsStrangers() public {
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.NotCuratorOrRegistrar.selector, stranger));
        vm.prank(stranger);
        reg.updateDatanet(id, stranger, 0, META);
        // CURATION_ROLE is not enough either.
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.NotCuratorOrRegistrar.selector, curation));
        vm.prank(curation);
        reg.updateDatanet(id, curation, 0, META);
    }

    function test_updateDatanet_rejectsUnknownAndZeroCurator() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DatanetNotFound.selector, unknown));
        vm.prank(registrar);
        reg.updateDatanet(unknown, alice, 0, META);
        vm.expectRevert(DatanetRegistry.ZeroAddress.selector);
        vm.prank(curator);
        reg.updateDatanet(id, address(0), 0, META);
    }

    function test_datanet_viewRevertsWhenUnknown() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DatanetNotFound.selector, unknown));
        reg.datanet(unknown);
        assertFalse(reg.datanetExists(unknown));
    }

    // ------------------------------------------------------------------ staking

    function test_stake_accumulatesAndEmits() public {
        vm.expectEmit();
        emit DatanetRegistry.Staked(id, alice, 4 ether, 4 ether);
        _stake(alice, 4 ether);
        vm.expectEmit();
        emit DatanetRegistry.Staked(id, alice, 6 ether, 10 ether);
        _stake(alice, 6 ether);
        DatanetRegistry.StakePosition memory p = reg.stakeOf(id, alice);
        assertEq(p.staked, 10 ether);
        assertEq(p.pendingUnstake, 0);
        assertEq(address(reg).balance, 10 ether);
    }

    function test_stake_rejectsZeroAndUnknownDatanet() public {
        vm.expectRevert(DatanetRegistry.ZeroAmount.selector);
        _stake(alice, 0);
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DatanetNotFound.selector, unknown));
        vm.prank(alice);
        reg.stake{value: 1 ether}(unknown);
    }

    function test_plainTransfersAreRejected() public {
        vm.prank(alice);
        (bool ok,) = address(reg).call{value: 1 ether}("");
        assertFalse(ok);
    }

    function test_hasRequiredStake() public {
        assertFalse(reg.hasRequiredStake(id, alice));
        _stake(alice, REQUIRED - 1);
        assertFalse(reg.hasRequiredStake(id, alice));
        _stake(alice, 1);
        assertTrue(reg.hasRequiredStake(id, alice));
        // A raised requirement applies at once; a lowered one too.
        vm.prank(curator);
        reg.updateDatanet(id, curator, REQUIRED + 1, META);
        assertFalse(reg.hasRequiredStake(id, alice));
        vm.prank(curator);
        reg.updateDatanet(id, curator, 0, META);
        assertTrue(reg.hasRequiredStake(id, bob)); // zero requirement: everyone qualifies
        assertFalse(reg.hasRequiredStake(keccak256("unknown"), alice)); // unknown datanet
    }

    function test_requestUnstake_movesToPending() public {
        _stake(alice, 12 ether);
        uint64 unlockAt = uint64(block.timestamp) + COOLDOWN;
        vm.expectEmit();
        emit DatanetRegistry.UnstakeRequested(id, alice, 3 ether, 3 ether, unlockAt);
        vm.prank(alice);
        reg.requestUnstake(id, 3 ether);
        DatanetRegistry.StakePosition memory p = reg.stakeOf(id, alice);
        assertEq(p.staked, 9 ether);
        assertEq(p.pendingUnstake, 3 ether);
        assertEq(p.unlockAt, unlockAt);
        // Pending stake no longer counts toward the requirement.
        assertFalse(reg.hasRequiredStake(id, alice));
        assertEq(address(reg).balance, 12 ether);
    }

    function test_requestUnstake_rejectsZeroAndTooMuch() public {
        _stake(alice, 2 ether);
        vm.startPrank(alice);
        vm.expectRevert(DatanetRegistry.ZeroAmount.selector);
        reg.requestUnstake(id, 0);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.InsufficientStake.selector, 2 ether, 2 ether + 1));
        reg.requestUnstake(id, 2 ether + 1);
        reg.requestUnstake(id, 2 ether);
        // Pending stake cannot be requested again.
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.InsufficientStake.selector, 0, 1));
        reg.requestUnstake(id, 1);
        vm.stopPrank();
    }

    function test_requestUnstake_againRestartsCooldownForAllPending() public {
        _stake(alice, 10 ether);
        vm.prank(alice);
        reg.requestUnstake(id, 1 ether);
        vm.warp(block.timestamp + COOLDOWN - 1);
        vm.prank(alice);
        reg.requestUnstake(id, 2 ether);
        uint64 unlockAt = uint64(block.timestamp) + COOLDOWN;
        assertEq(reg.stakeOf(id, alice).unlockAt, unlockAt);
        assertEq(reg.stakeOf(id, alice).pendingUnstake, 3 ether);
        vm.warp(block.timestamp + 1); // the first request's cooldown has passed, but it was restarted
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.CooldownNotElapsed.selector, unlockAt));
        vm.prank(alice);
        reg.withdrawStake(id);
    }

    function test_withdrawStake_cooldownBoundary() public {
        _stake(alice, 10 ether);
        vm.prank(alice);
        reg.requestUnstake(id, 4 ether);
        uint64 unlockAt = uint64(block.timestamp) + COOLDOWN;

        vm.warp(unlockAt - 1);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.CooldownNotElapsed.selector, unlockAt));
        vm.prank(alice);
        reg.withdrawStake(id);

        vm.warp(unlockAt);
        uint256 before = alice.balance;
        vm.expectEmit();
        emit DatanetRegistry.StakeWithdrawn(id, alice, 4 ether);
        vm.prank(alice);
        reg.withdrawStake(id);
        assertEq(alice.balance, before + 4 ether);
        assertEq(address(reg).balance, 6 ether);
        DatanetRegistry.StakePosition memory p = reg.stakeOf(id, alice);
        assertEq(p.staked, 6 ether);
        assertEq(p.pendingUnstake, 0);
        assertEq(p.unlockAt, 0);

        vm.expectRevert(DatanetRegistry.NothingToWithdraw.selector);
        vm.prank(alice);
        reg.withdrawStake(id);
    }

    function test_withdrawStake_nothingPending() public {
        _stake(alice, 1 ether);
        vm.expectRevert(DatanetRegistry.NothingToWithdraw.selector);
        vm.prank(alice);
        reg.withdrawStake(id);
    }

    function test_withdrawStake_transferFailure() public {
        DatanetRejectingReceiver r = new DatanetRejectingReceiver();
        r.stakeIn{value: 1 ether}(reg, id);
        r.requestUnstake(reg, id, 1 ether);
        vm.warp(block.timestamp + COOLDOWN);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.TransferFailed.selector, address(r), 1 ether));
        r.withdrawStake(reg, id);
        assertEq(reg.stakeOf(id, address(r)).pendingUnstake, 1 ether); // rolled back, nothing lost
    }

    function test_withdrawStake_reentryCannotDoublePay() public {
        DatanetReenteringContributor attacker = new DatanetReenteringContributor(reg, id);
        attacker.stakeAndUnstake{value: 2 ether}();
        _stake(bob, 5 ether); // funds an attacker would like to drain
        vm.warp(block.timestamp + COOLDOWN);
        // The inner withdrawStake hits the guard, so the attacker's receive hook reverts and the
        // outer payment fails: nothing moves.
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.TransferFailed.selector, address(attacker), 2 ether));
        attacker.withdraw();
        assertEq(address(reg).balance, 7 ether);
    }

    // ------------------------------------------------------------------ snapshots

    function test_anchorSnapshot_storesAndEmits() public {
        bytes32 root = keccak256("root-1");
        bytes32 jsonl = keccak256("jsonl-1");
        vm.expectEmit();
        emit DatanetRegistry.SnapshotAnchored(id, 1, root, 42, jsonl);
        vm.prank(curation);
        reg.anchorSnapshot(id, 1, root, 42, jsonl);
        DatanetRegistry.Snapshot memory s = reg.snapshot(id, 1);
        assertEq(s.merkleRoot, root);
        assertEq(s.jsonlSha256, jsonl);
        assertEq(s.recordCount, 42);
        assertEq(s.anchoredAt, block.timestamp);
        assertEq(reg.datanet(id).latestSnapshotSequence, 1);
    }

    function test_anchorSnapshot_onlyCuration() public {
        vm.expectRevert(_unauthorized(stranger, reg.CURATION_ROLE()));
        vm.prank(stranger);
        reg.anchorSnapshot(id, 1, keccak256("r"), 1, 0);
        // Neither the curator nor the registrar holds CURATION_ROLE.
        vm.expectRevert(_unauthorized(curator, reg.CURATION_ROLE()));
        vm.prank(curator);
        reg.anchorSnapshot(id, 1, keccak256("r"), 1, 0);
        vm.expectRevert(_unauthorized(registrar, reg.CURATION_ROLE()));
        vm.prank(registrar);
        reg.anchorSnapshot(id, 1, keccak256("r"), 1, 0);
    }

    function test_anchorSnapshot_sequenceStrictlyIncreasesAndRootsAreImmutable() public {
        vm.startPrank(curation);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SnapshotSequenceNotIncreasing.selector, 0, 0));
        reg.anchorSnapshot(id, 0, keccak256("r0"), 1, 0);
        reg.anchorSnapshot(id, 1, keccak256("r1"), 1, 0);
        // Re-anchoring sequence 1 with another root is refused: the root stays.
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SnapshotSequenceNotIncreasing.selector, 1, 1));
        reg.anchorSnapshot(id, 1, keccak256("evil"), 1, 0);
        // Gaps are allowed (failed snapshots keep their number).
        reg.anchorSnapshot(id, 3, keccak256("r3"), 7, 0);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SnapshotSequenceNotIncreasing.selector, 3, 2));
        reg.anchorSnapshot(id, 2, keccak256("r2"), 1, 0);
        vm.stopPrank();
        assertEq(reg.snapshot(id, 1).merkleRoot, keccak256("r1"));
        assertEq(reg.snapshot(id, 3).merkleRoot, keccak256("r3"));
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SnapshotNotFound.selector, id, 2));
        reg.snapshot(id, 2);
    }

    function test_anchorSnapshot_sequencesArePerDatanet() public {
        bytes32 other = keccak256(bytes("solidity"));
        vm.prank(registrar);
        reg.createDatanet(other, alice, 0, META);
        _anchor(5, keccak256("a"), 1);
        vm.prank(curation);
        reg.anchorSnapshot(other, 1, keccak256("b"), 1, 0);
        assertEq(reg.datanet(other).latestSnapshotSequence, 1);
        assertEq(reg.datanet(id).latestSnapshotSequence, 5);
    }

    function test_anchorSnapshot_rejectsBadInput() public {
        vm.startPrank(curation);
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.DatanetNotFound.selector, unknown));
        reg.anchorSnapshot(unknown, 1, keccak256("r"), 1, 0);
        vm.expectRevert(DatanetRegistry.ZeroMerkleRoot.selector);
        reg.anchorSnapshot(id, 1, bytes32(0), 1, 0);
        vm.expectRevert(DatanetRegistry.EmptySnapshot.selector);
        reg.anchorSnapshot(id, 1, keccak256("r"), 0, 0);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ Merkle inclusion

    /// @dev Golden vector computed independently in Python (eth_abi + eth_utils) from the rule in
    /// snapshot.proto, for 5 records: record i has id "0190c0de-0000-7000-8000-00000000000{i}",
    /// contributor 0x{11*(i+1)} repeated 20 times, content hash keccak256("content-{i}") and
    /// curated hash keccak256("curated-{i}").
    function test_verifyRecord_goldenVectorFromPython() public {
        bytes32[5] memory expected = [
            bytes32(0xa98acc4c2e552573f22dc5a6c983aa30546a6e0abf7461e975660d259b6c50b8),
            0x83f0c07d7228172c56e9ec68989c9bcb400e473f78ac8a9bea6df7f7286f4cfd,
            0xca35228f2d964cb267ea5240a4ab2f83e25947a3edbbc9ca797420e1341eaada,
            0x4cd963e5dcc08f5b58e11e172d38e62870a05673aefac8c89dcdeefcda15fa52,
            0xce7bd3ec00b1d643b1b7a6ed83b46cc56f6cc42e4dd9575987880d42b137a177
        ];
        bytes32 expectedRoot = 0xaa34e82e162594b3beb70ee3547215850b2eb61871813683b7f4650c81f29915;
        bytes32[] memory leaves = new bytes32[](5);
        for (uint256 i = 0; i < 5; ++i) {
            leaves[i] = _leaf(
                i,
                string.concat("0190c0de-0000-7000-8000-00000000000", _utoa(i)),
                address(uint160((i + 1) * 0x11 * (type(uint160).max / 0xff))),
                keccak256(bytes(string.concat("content-", _utoa(i)))),
                keccak256(bytes(string.concat("curated-", _utoa(i))))
            );
            assertEq(leaves[i], expected[i]);
        }
        assertEq(_root(leaves), expectedRoot);
        _anchor(1, expectedRoot, 5);

        // Python's proof for leaf 4 (carried up twice, then paired once).
        bytes32[] memory p4 = new bytes32[](1);
        p4[0] = 0xc336aa70d62f6b0626f2f35fb615462b06a1ec8c3e5fa0ab2383313e8e0fb17a;
        assertTrue(reg.verifyRecord(id, 1, leaves[4], p4));
        assertEq(_proof(leaves, 4), p4);
        // Python's proof for leaf 2.
        bytes32[] memory p2 = new bytes32[](3);
        p2[0] = 0x4cd963e5dcc08f5b58e11e172d38e62870a05673aefac8c89dcdeefcda15fa52;
        p2[1] = 0xc90285a65a7b4ca27a113e9ecf75e40595e1b1b072ddc9e33b249d6f3e2959b5;
        p2[2] = 0xce7bd3ec00b1d643b1b7a6ed83b46cc56f6cc42e4dd9575987880d42b137a177;
        assertTrue(reg.verifyRecord(id, 1, leaves[2], p2));
        assertEq(_proof(leaves, 2), p2);
    }

    function assertEq(bytes32[] memory a, bytes32[] memory b) internal pure {
        assertEq(abi.encode(a), abi.encode(b));
    }

    function test_verifyRecord_everyLeafOfTreesUpTo17() public {
        for (uint256 n = 1; n <= 17; ++n) {
            bytes32[] memory leaves = _leaves(n, n);
            bytes32 root = _root(leaves);
            _anchor(uint64(n), root, uint64(n));
            for (uint256 i = 0; i < n; ++i) {
                bytes32[] memory proof = _proof(leaves, i);
                assertTrue(reg.verifyRecord(id, uint64(n), leaves[i], proof), "leaf must verify");
                // At most ceil(log2(n)) siblings, as the proto bounds them.
                uint256 depth;
                while ((uint256(1) << depth) < n) {
                    ++depth;
                }
                assertLe(proof.length, depth);
            }
        }
        // One record: the root is its leaf and the proof is empty.
        bytes32[] memory one = _leaves(1, 1);
        assertEq(reg.snapshot(id, 1).merkleRoot, one[0]);
    }

    function test_verifyRecord_rejectsWrongLeafProofOrSnapshot() public {
        bytes32[] memory leaves = _leaves(6, 99);
        _anchor(1, _root(leaves), 6);
        _anchor(2, _root(_leaves(6, 100)), 6);
        bytes32[] memory proof = _proof(leaves, 3);
        assertTrue(reg.verifyRecord(id, 1, leaves[3], proof));
        assertFalse(reg.verifyRecord(id, 1, leaves[2], proof)); // another leaf with this proof
        assertFalse(reg.verifyRecord(id, 2, leaves[3], proof)); // another snapshot
        assertFalse(reg.verifyRecord(id, 9, leaves[3], proof)); // no such snapshot
        assertFalse(reg.verifyRecord(keccak256("unknown"), 1, leaves[3], proof));
        proof[0] = bytes32(uint256(proof[0]) ^ 1);
        assertFalse(reg.verifyRecord(id, 1, leaves[3], proof)); // tampered sibling
        // The record's index is bound into the leaf: the same record at another index is not in.
        bytes32 moved = _leaf(
            4,
            "record-3",
            address(uint160(uint256(keccak256(abi.encode(uint256(99), uint256(3)))))),
            keccak256(abi.encode("content", uint256(99), uint256(3))),
            keccak256(abi.encode("curated", uint256(99), uint256(3)))
        );
        assertFalse(reg.verifyRecord(id, 1, moved, _proof(leaves, 4)));
    }

    function test_verifyRecord_unanchoredZeroRootNeverVerifies() public view {
        assertFalse(reg.verifyRecord(id, 1, bytes32(0), new bytes32[](0)));
    }

    function testFuzz_verifyRecord_anyTree(uint256 count, uint256 index, uint256 salt) public {
        count = bound(count, 1, 64);
        index = bound(index, 0, count - 1);
        bytes32[] memory leaves = _leaves(count, salt);
        _anchor(1, _root(leaves), uint64(count));
        assertTrue(reg.verifyRecord(id, 1, leaves[index], _proof(leaves, index)));
    }

    // ------------------------------------------------------------------ slashing

    function test_slash_sendsToTreasuryAndEmits() public {
        _stake(alice, 10 ether); // cap = 10 % = 1 ether
        bytes32 reason = keccak256("penalty-1");
        vm.expectEmit();
        emit DatanetRegistry.ContributorSlashed(id, alice, reason, 1 ether, 9 ether, 0, treasury);
        vm.prank(curation);
        reg.slash(id, alice, 1 ether, reason);
        assertEq(treasury.balance, 1 ether);
        assertEq(address(reg).balance, 9 ether);
        assertEq(reg.stakeOf(id, alice).staked, 9 ether);
        assertFalse(reg.hasRequiredStake(id, alice)); // a slash can cost the standing
    }

    function test_slash_paysTheTreasuryGovernanceSetsLater() public {
        _stake(alice, 10 ether);
        vm.prank(curation);
        reg.slash(id, alice, 0.5 ether, 0);
        address newTreasury = makeAddr("newTreasury");
        params.setTreasury(newTreasury); // the test is the timelock
        assertEq(reg.treasury(), newTreasury);
        bytes32 reason = keccak256("penalty-2");
        vm.expectEmit();
        emit DatanetRegistry.ContributorSlashed(id, alice, reason, 0.5 ether, 9 ether, 0, newTreasury);
        vm.prank(curation);
        reg.slash(id, alice, 0.5 ether, reason);
        assertEq(newTreasury.balance, 0.5 ether);
        assertEq(treasury.balance, 0.5 ether); // the old treasury kept only the earlier slash
    }

    function test_slash_onlyCuration() public {
        _stake(alice, 10 ether);
        vm.expectRevert(_unauthorized(stranger, reg.CURATION_ROLE()));
        vm.prank(stranger);
        reg.slash(id, alice, 1, 0);
        vm.expectRevert(_unauthorized(curator, reg.CURATION_ROLE()));
        vm.prank(curator);
        reg.slash(id, alice, 1, 0);
        vm.expectRevert(_unauthorized(registrar, reg.CURATION_ROLE()));
        vm.prank(registrar);
        reg.slash(id, alice, 1, 0);
    }

    function test_slash_capIsPerSlash() public {
        _stake(alice, 10 ether);
        assertEq(reg.slashCap(id, alice), 1 ether);
        vm.startPrank(curation);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SlashExceedsCap.selector, 1 ether + 1, 1 ether));
        reg.slash(id, alice, 1 ether + 1, 0);
        reg.slash(id, alice, 1 ether, 0); // exactly the cap
        // The cap follows the remaining stake: 10 % of 9 ether.
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SlashExceedsCap.selector, 1 ether, 0.9 ether));
        reg.slash(id, alice, 1 ether, 0);
        reg.slash(id, alice, 0.9 ether, 0);
        vm.stopPrank();
        assertEq(treasury.balance, 1.9 ether);
    }

    function test_slash_rejectsZeroAndNoStake() public {
        vm.startPrank(curation);
        vm.expectRevert(DatanetRegistry.ZeroAmount.selector);
        reg.slash(id, alice, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SlashExceedsCap.selector, 1, 0));
        reg.slash(id, alice, 1, 0);
        vm.stopPrank();
    }

    function test_slash_zeroRateDisablesSlashing() public {
        _stake(alice, 10 ether);
        params.setSlashingRates(0, params.providerSlashBps());
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SlashExceedsCap.selector, 1, 0));
        vm.prank(curation);
        reg.slash(id, alice, 1, 0);
    }

    function test_slash_pendingUnstakeIsSlashableUntilWithdrawn() public {
        _stake(alice, 10 ether);
        vm.prank(alice);
        reg.requestUnstake(id, 10 ether); // everything pending: nothing active
        assertEq(reg.slashCap(id, alice), 1 ether);
        vm.prank(curation);
        reg.slash(id, alice, 1 ether, 0);
        DatanetRegistry.StakePosition memory p = reg.stakeOf(id, alice);
        assertEq(p.staked, 0);
        assertEq(p.pendingUnstake, 9 ether);
        vm.warp(p.unlockAt);
        uint256 before = alice.balance;
        vm.prank(alice);
        reg.withdrawStake(id);
        assertEq(alice.balance, before + 9 ether);
        // After withdrawal nothing is left to slash.
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SlashExceedsCap.selector, 1, 0));
        vm.prank(curation);
        reg.slash(id, alice, 1, 0);
    }

    function test_slash_takesActiveStakeFirstThenPending() public {
        params.setSlashingRates(10_000, params.providerSlashBps());
        _stake(alice, 10 ether);
        vm.prank(alice);
        reg.requestUnstake(id, 6 ether); // 4 active, 6 pending
        vm.prank(curation);
        reg.slash(id, alice, 5 ether, 0);
        DatanetRegistry.StakePosition memory p = reg.stakeOf(id, alice);
        assertEq(p.staked, 0);
        assertEq(p.pendingUnstake, 5 ether);
        assertTrue(p.unlockAt != 0);
        vm.prank(curation);
        reg.slash(id, alice, 5 ether, 0); // the rest: the pending bucket empties
        p = reg.stakeOf(id, alice);
        assertEq(p.pendingUnstake, 0);
        assertEq(p.unlockAt, 0);
        assertEq(address(reg).balance, 0);
        assertEq(treasury.balance, 10 ether);
    }

    function test_slash_isPerDatanet() public {
        bytes32 other = keccak256(bytes("solidity"));
        vm.prank(registrar);
        reg.createDatanet(other, curator, 0, META);
        _stake(alice, 10 ether);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SlashExceedsCap.selector, 1, 0));
        vm.prank(curation);
        reg.slash(other, alice, 1, 0);
    }

    function test_slash_treasuryTransferFailure() public {
        DatanetRejectingReceiver badTreasury = new DatanetRejectingReceiver();
        params.setTreasury(address(badTreasury));
        _stake(alice, 10 ether);
        vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.TransferFailed.selector, address(badTreasury), 1 ether));
        vm.prank(curation);
        reg.slash(id, alice, 1 ether, 0);
        assertEq(reg.stakeOf(id, alice).staked, 10 ether);
    }

    function test_roles_onlyAdminGrants() public {
        bytes32 adminRole = reg.DEFAULT_ADMIN_ROLE();
        bytes32 curationRole = reg.CURATION_ROLE();
        vm.expectRevert(_unauthorized(stranger, adminRole));
        vm.prank(stranger);
        reg.grantRole(curationRole, stranger);
    }

    // ------------------------------------------------------------------ fuzz: accounting

    function testFuzz_slashCap(uint256 stakeAmount, uint16 bps, uint256 amount) public {
        stakeAmount = bound(stakeAmount, 1, 500 ether);
        bps = uint16(bound(bps, 0, 10_000));
        params.setSlashingRates(bps, params.providerSlashBps());
        _stake(alice, stakeAmount);
        uint256 cap = stakeAmount * bps / 10_000;
        assertEq(reg.slashCap(id, alice), cap);
        amount = bound(amount, 1, stakeAmount);
        vm.prank(curation);
        if (amount > cap) {
            vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.SlashExceedsCap.selector, amount, cap));
            reg.slash(id, alice, amount, 0);
        } else {
            reg.slash(id, alice, amount, 0);
            assertEq(reg.stakeOf(id, alice).staked, stakeAmount - amount);
            assertEq(treasury.balance, amount);
        }
    }

    /// @dev Random sequences of stake / requestUnstake / withdraw / slash / time jumps by three
    /// contributors in two datanets. After every step the registry's balance equals the sum of
    /// all positions (active + pending), the treasury holds exactly what was slashed, and no wei
    /// is created or lost overall.
    function testFuzz_stakeUnstakeSlashAccounting(uint256[24] calldata ops, uint16 bps) public {
        params.setSlashingRates(uint16(bound(bps, 1, 10_000)), params.providerSlashBps());
        bytes32 other = keccak256(bytes("solidity"));
        vm.prank(registrar);
        reg.createDatanet(other, curator, 0, META);
        address[3] memory actors = [alice, bob, carol];
        bytes32[2] memory ids = [id, other];
        uint256 walletsBefore = alice.balance + bob.balance + carol.balance;
        uint256 slashed;

        for (uint256 k = 0; k < ops.length; ++k) {
            uint256 op = ops[k];
            address who = actors[op % 3];
            bytes32 d = ids[(op >> 8) % 2];
            uint256 kind = (op >> 16) % 5;
            uint256 raw = op >> 24;
            DatanetRegistry.StakePosition memory p = reg.stakeOf(d, who);
            if (kind == 0) {
                _stakeIn(who, d, bound(raw, 1, 50 ether));
            } else if (kind == 1 && p.staked > 0) {
                vm.prank(who);
                reg.requestUnstake(d, bound(raw, 1, p.staked));
            } else if (kind == 2 && p.pendingUnstake > 0) {
                vm.prank(who);
                if (block.timestamp < p.unlockAt) {
                    vm.expectRevert(abi.encodeWithSelector(DatanetRegistry.CooldownNotElapsed.selector, p.unlockAt));
                }
                reg.withdrawStake(d);
            } else if (kind == 3) {
                uint256 cap = reg.slashCap(d, who);
                if (cap > 0) {
                    uint256 amount = bound(raw, 1, cap);
                    vm.prank(curation);
                    reg.slash(d, who, amount, bytes32(k));
                    slashed += amount;
                }
            } else {
                vm.warp(block.timestamp + bound(raw, 0, 2 * COOLDOWN));
            }
            _assertBalanced(actors, ids);
            assertEq(treasury.balance, slashed);
        }
        uint256 held;
        for (uint256 a = 0; a < 3; ++a) {
            held += actors[a].balance;
        }
        assertEq(held + address(reg).balance + slashed, walletsBefore);
    }

    function _stakeIn(address who, bytes32 d, uint256 amount) internal {
        vm.prank(who);
        reg.stake{value: amount}(d);
    }

    function _assertBalanced(address[3] memory actors, bytes32[2] memory ids) internal view {
        uint256 sum;
        for (uint256 a = 0; a < 3; ++a) {
            for (uint256 j = 0; j < 2; ++j) {
                DatanetRegistry.StakePosition memory p = reg.stakeOf(ids[j], actors[a]);
                sum += p.staked + p.pendingUnstake;
            }
        }
        assertEq(address(reg).balance, sum, "balance != sum of stakes + pending");
    }
}
