// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {InferencePool, NodeRegistrationData} from "../../src/l2/InferencePool.sol";
import {IProtocolParams, Params} from "../../src/interfaces/IProtocolParams.sol";
import {ProtocolParams} from "../../src/l2/ProtocolParams.sol";

/// @notice An account that refuses native OPEN.
contract PoolRejectingReceiver {
    receive() external payable {
        revert("no");
    }

    function stakeIn(InferencePool pool) external payable {
        pool.stake{value: msg.value}();
    }

    function requestExit(InferencePool pool) external {
        pool.requestExit();
    }

    function withdraw(InferencePool pool) external {
        pool.withdraw();
    }
}

/// @notice A provider that tries to withdraw twice by re-entering from its receive hook.
contract PoolReenteringProvider {
    InferencePool internal immutable pool;
    bool internal entered;

    constructor(InferencePool pool_) {
        pool = pool_;
    }

    function stakeAndExit() external payable {
        pool.stake{value: msg.value}();
        pool.requestExit();
    }

    function withdraw() external {
        pool.withdraw();
    }

    receive() external payable {
        if (!entered) {
            entered = true;
            pool.withdraw();
        }
    }
}

contract InferencePoolTest is Test {
    InferencePool internal pool;
    ProtocolParams internal params;

    address internal admin = makeAddr("admin");
    address internal slasher = makeAddr("slasher");
    address internal treasury = makeAddr("treasury");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal carol = makeAddr("carol");
    address internal stranger = makeAddr("stranger");

    uint256 internal constant MIN_STAKE = 100 ether;
    uint64 internal constant COOLDOWN = 7 days;
    bytes32 internal constant META = keccak256("node metadata");

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
        pool = new InferencePool(admin, params, MIN_STAKE, COOLDOWN);
        bytes32 slasherRole = pool.SLASHER_ROLE();
        vm.prank(admin);
        pool.grantRole(slasherRole, slasher);
        vm.deal(alice, 10_000 ether);
        vm.deal(bob, 10_000 ether);
        vm.deal(carol, 10_000 ether);
        vm.deal(stranger, 10_000 ether);
    }

    // ------------------------------------------------------------------ helpers

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    function _stake(address who, uint256 amount) internal {
        vm.prank(who);
        pool.stake{value: amount}();
    }

    function _join(address who, uint256 amount) internal {
        _stake(who, amount);
        vm.prank(who);
        pool.register(META);
    }

    // ------------------------------------------------------------------ constructor and roles

    function test_constructor_setsFields() public view {
        assertTrue(pool.hasRole(pool.DEFAULT_ADMIN_ROLE(), admin));
        assertEq(address(pool.params()), address(params));
        assertEq(pool.treasury(), treasury);
        assertEq(pool.minStake(), MIN_STAKE);
        assertEq(pool.exitCooldownSeconds(), COOLDOWN);
    }

    function test_constructor_rejectsBadArguments() public {
        vm.expectRevert(InferencePool.ZeroAddress.selector);
        new InferencePool(address(0), params, MIN_STAKE, COOLDOWN);
        vm.expectRevert(InferencePool.ZeroAddress.selector);
        new InferencePool(admin, IProtocolParams(address(0)), MIN_STAKE, COOLDOWN);
        vm.expectRevert(InferencePool.ZeroMinStake.selector);
        new InferencePool(admin, params, 0, COOLDOWN);
    }

    function test_roles_onlyAdminGrants() public {
        bytes32 adminRole = pool.DEFAULT_ADMIN_ROLE();
        bytes32 slasherRole = pool.SLASHER_ROLE();
        vm.expectRevert(_unauthorized(stranger, adminRole));
        vm.prank(stranger);
        pool.grantRole(slasherRole, stranger);
    }

    // ------------------------------------------------------------------ stake and register

    function test_stake_topUpsAccumulate() public {
        vm.expectEmit();
        emit InferencePool.Staked(alice, 60 ether, 60 ether);
        _stake(alice, 60 ether);
        vm.expectEmit();
        emit InferencePool.Staked(alice, 50 ether, 110 ether);
        _stake(alice, 50 ether);
        assertEq(pool.stakeOf(alice), 110 ether);
        assertEq(address(pool).balance, 110 ether);
        assertFalse(pool.isActive(alice)); // staked but not registered
    }

    function test_stake_rejectsZero() public {
        vm.expectRevert(InferencePool.ZeroAmount.selector);
        _stake(alice, 0);
    }

    function test_plainTransfersAreRejected() public {
        vm.prank(alice);
        (bool ok,) = address(pool).call{value: 1 ether}("");
        assertFalse(ok);
    }

    function test_register_activatesAndEmits() public {
        _stake(alice, MIN_STAKE);
        vm.expectEmit();
        emit InferencePool.ProviderRegistered(alice, META, MIN_STAKE);
        vm.prank(alice);
        pool.register(META);
        assertTrue(pool.isActive(alice));
        InferencePool.Provider memory p = pool.provider(alice);
        assertEq(p.stake, MIN_STAKE);
        assertEq(p.endpointMetadataHash, META);
        assertEq(p.registeredAt, block.timestamp);
        assertEq(p.exitAvailableAt, 0);
        assertTrue(p.registered);
        assertFalse(p.exiting);
    }

    function test_register_updatesHash() public {
        _join(alice, MIN_STAKE);
        bytes32 meta2 = keccak256("node metadata v2");
        vm.warp(block.timestamp + 1 hours);
        vm.prank(alice);
        pool.register(meta2);
        assertEq(pool.provider(alice).endpointMetadataHash, meta2);
        assertEq(pool.provider(alice).registeredAt, block.timestamp);
        assertTrue(pool.isActive(alice));
    }

    function test_register_requiresMinStake() public {
        vm.expectRevert(abi.encodeWithSelector(InferencePool.InsufficientStake.selector, 0, MIN_STAKE));
        vm.prank(alice);
        pool.register(META);
        _stake(alice, MIN_STAKE - 1);
        vm.expectRevert(abi.encodeWithSelector(InferencePool.InsufficientStake.selector, MIN_STAKE - 1, MIN_STAKE));
        vm.prank(alice);
        pool.register(META);
        _stake(alice, 1);
        vm.prank(alice);
        pool.register(META);
        assertTrue(pool.isActive(alice));
    }

    function test_register_rejectsZeroHash() public {
        _stake(alice, MIN_STAKE);
        vm.expectRevert(InferencePool.ZeroMetadataHash.selector);
        vm.prank(alice);
        pool.register(bytes32(0));
    }

    // ------------------------------------------------------------------ exit

    function test_requestExit_deactivatesAndEmits() public {
        _join(alice, MIN_STAKE);
        uint64 availableAt = uint64(block.timestamp) + COOLDOWN;
        vm.expectEmit();
        emit InferencePool.ExitRequested(alice, availableAt);
        vm.prank(alice);
        pool.requestExit();
        assertFalse(pool.isActive(alice));
        InferencePool.Provider memory p = pool.provider(alice);
        assertTrue(p.exiting);
        assertFalse(p.registered);
        assertEq(p.exitAvailableAt, availableAt);
        assertEq(p.stake, MIN_STAKE); // still held (and slashable) until withdrawn
    }

    function test_requestExit_rules() public {
        vm.expectRevert(InferencePool.NotStaked.selector);
        vm.prank(alice);
        pool.requestExit();
        _stake(alice, 1 ether); // a staker that never registered may exit too
        vm.prank(alice);
        pool.requestExit();
        vm.expectRevert(InferencePool.ProviderExiting.selector);
        vm.prank(alice);
        pool.requestExit();
    }

    function test_exiting_blocksStakeAndRegister() public {
        _join(alice, MIN_STAKE);
        vm.prank(alice);
        pool.requestExit();
        vm.expectRevert(InferencePool.ProviderExiting.selector);
        _stake(alice, 1 ether);
        vm.expectRevert(InferencePool.ProviderExiting.selector);
        vm.prank(alice);
        pool.register(META);
    }

    function test_withdraw_cooldownBoundaryAndRestart() public {
        _join(alice, 150 ether);
        vm.prank(alice);
        pool.requestExit();
        uint64 availableAt = uint64(block.timestamp) + COOLDOWN;

        vm.warp(availableAt - 1);
        vm.expectRevert(abi.encodeWithSelector(InferencePool.CooldownNotElapsed.selector, availableAt));
        vm.prank(alice);
        pool.withdraw();

        vm.warp(availableAt);
        uint256 before = alice.balance;
        vm.expectEmit();
        emit InferencePool.Withdrawn(alice, 150 ether);
        vm.prank(alice);
        pool.withdraw();
        assertEq(alice.balance, before + 150 ether);
        assertEq(address(pool).balance, 0);
        InferencePool.Provider memory p = pool.provider(alice);
        assertEq(p.stake, 0);
        assertEq(p.endpointMetadataHash, bytes32(0));
        assertFalse(p.exiting);
        assertEq(p.exitAvailableAt, 0);

        vm.expectRevert(InferencePool.ExitNotRequested.selector);
        vm.prank(alice);
        pool.withdraw();

        // The provider may start over.
        _join(alice, MIN_STAKE);
        assertTrue(pool.isActive(alice));
    }

    function test_withdraw_requiresExitRequest() public {
        _join(alice, MIN_STAKE);
        vm.expectRevert(InferencePool.ExitNotRequested.selector);
        vm.prank(alice);
        pool.withdraw();
    }

    function test_withdraw_transferFailure() public {
        PoolRejectingReceiver r = new PoolRejectingReceiver();
        r.stakeIn{value: 5 ether}(pool);
        r.requestExit(pool);
        vm.warp(block.timestamp + COOLDOWN);
        vm.expectRevert(abi.encodeWithSelector(InferencePool.TransferFailed.selector, address(r), 5 ether));
        r.withdraw(pool);
        assertEq(pool.stakeOf(address(r)), 5 ether); // rolled back
    }

    function test_withdraw_reentryCannotDoublePay() public {
        PoolReenteringProvider attacker = new PoolReenteringProvider(pool);
        attacker.stakeAndExit{value: 5 ether}();
        _stake(bob, 500 ether);
        vm.warp(block.timestamp + COOLDOWN);
        vm.expectRevert(abi.encodeWithSelector(InferencePool.TransferFailed.selector, address(attacker), 5 ether));
        attacker.withdraw();
        assertEq(address(pool).balance, 505 ether);
    }

    // ------------------------------------------------------------------ slashing

    function test_slash_sendsToTreasuryAndEmits() public {
        _join(alice, 200 ether); // cap = 20 % = 40 ether
        bytes32 reason = keccak256("evidence");
        vm.expectEmit();
        emit InferencePool.ProviderSlashed(alice, reason, 40 ether, 160 ether, treasury);
        vm.prank(slasher);
        pool.slash(alice, 40 ether, reason);
        assertEq(treasury.balance, 40 ether);
        assertEq(pool.stakeOf(alice), 160 ether);
        assertEq(address(pool).balance, 160 ether);
        assertTrue(pool.isActive(alice));
    }

    function test_slash_paysTheTreasuryGovernanceSetsLater() public {
        _join(alice, 200 ether);
        vm.prank(slasher);
        pool.slash(alice, 10 ether, 0);
        address newTreasury = makeAddr("newTreasury");
        params.setTreasury(newTreasury); // the test is the timelock
        assertEq(pool.treasury(), newTreasury);
        bytes32 reason = keccak256("evidence-2");
        vm.expectEmit();
        emit InferencePool.ProviderSlashed(alice, reason, 10 ether, 180 ether, newTreasury);
        vm.prank(slasher);
        pool.slash(alice, 10 ether, reason);
        assertEq(newTreasury.balance, 10 ether);
        assertEq(treasury.balance, 10 ether); // the old treasury kept only the earlier slash
    }

    function test_slash_onlySlasher() public {
        _join(alice, 200 ether);
        vm.expectRevert(_unauthorized(stranger, pool.SLASHER_ROLE()));
        vm.prank(stranger);
        pool.slash(alice, 1, 0);
        vm.expectRevert(_unauthorized(admin, pool.SLASHER_ROLE()));
        vm.prank(admin);
        pool.slash(alice, 1, 0);
    }

    function test_slash_cap() public {
        _join(alice, 200 ether);
        assertEq(pool.slashCap(alice), 40 ether);
        vm.startPrank(slasher);
        vm.expectRevert(abi.encodeWithSelector(InferencePool.SlashExceedsCap.selector, 40 ether + 1, 40 ether));
        pool.slash(alice, 40 ether + 1, 0);
        pool.slash(alice, 40 ether, 0);
        vm.expectRevert(abi.encodeWithSelector(InferencePool.SlashExceedsCap.selector, 40 ether, 32 ether));
        pool.slash(alice, 40 ether, 0);
        vm.expectRevert(InferencePool.ZeroAmount.selector);
        pool.slash(alice, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(InferencePool.SlashExceedsCap.selector, 1, 0));
        pool.slash(stranger, 1, 0); // no stake at all
        vm.stopPrank();
        params.setSlashingRates(params.contributorSlashBps(), 0);
        vm.expectRevert(abi.encodeWithSelector(InferencePool.SlashExceedsCap.selector, 1, 0));
        vm.prank(slasher);
        pool.slash(alice, 1, 0);
    }

    function test_slash_belowMinStakeDeactivatesUntilTopUp() public {
        _join(alice, MIN_STAKE);
        vm.prank(slasher);
        pool.slash(alice, 1 ether, 0);
        assertFalse(pool.isActive(alice));
        assertTrue(pool.provider(alice).registered);
        _stake(alice, 1 ether);
        assertTrue(pool.isActive(alice));
    }

    function test_slash_whileExiting() public {
        _join(alice, MIN_STAKE);
        vm.prank(alice);
        pool.requestExit();
        vm.prank(slasher);
        pool.slash(alice, 20 ether, 0);
        vm.warp(block.timestamp + COOLDOWN);
        uint256 before = alice.balance;
        vm.prank(alice);
        pool.withdraw();
        assertEq(alice.balance, before + 80 ether);
        assertEq(treasury.balance, 20 ether);
    }

    function test_withdraw_afterFullSlashPaysNothingAndClears() public {
        params.setSlashingRates(params.contributorSlashBps(), 10_000);
        _join(alice, MIN_STAKE);
        vm.prank(alice);
        pool.requestExit();
        vm.prank(slasher);
        pool.slash(alice, MIN_STAKE, 0);
        vm.warp(block.timestamp + COOLDOWN);
        uint256 before = alice.balance;
        vm.expectEmit();
        emit InferencePool.Withdrawn(alice, 0);
        vm.prank(alice);
        pool.withdraw();
        assertEq(alice.balance, before);
        assertFalse(pool.provider(alice).exiting);
    }

    function test_slash_treasuryTransferFailure() public {
        PoolRejectingReceiver badTreasury = new PoolRejectingReceiver();
        params.setTreasury(address(badTreasury));
        _stake(alice, MIN_STAKE);
        vm.expectRevert(abi.encodeWithSelector(InferencePool.TransferFailed.selector, address(badTreasury), 1 ether));
        vm.prank(slasher);
        pool.slash(alice, 1 ether, 0);
        assertEq(pool.stakeOf(alice), MIN_STAKE);
    }

    // ------------------------------------------------------------------ views

    function test_views_unknownProvider() public view {
        assertFalse(pool.isActive(stranger));
        assertEq(pool.stakeOf(stranger), 0);
        InferencePool.Provider memory p = pool.provider(stranger);
        assertEq(p.stake, 0);
        assertFalse(p.registered);
        assertEq(pool.slashCap(stranger), 0);
    }

    // ------------------------------------------------------------------ NodeRegistration digest

    function _nodeRegistration(address provider_) internal pure returns (NodeRegistrationData memory r) {
        string[] memory models = new string[](2);
        models[0] = "smollm2-135m-instruct";
        models[1] = "tiny-llama";
        r = NodeRegistrationData({
            provider: provider_,
            endpoint: "gpu-7.provider.example:50051",
            metadataHash: META,
            engine: 2,
            baseModels: models,
            maxConcurrentRequests: 64,
            maxLoras: 8,
            maxCpuLoras: 32,
            maxLoraRank: 64,
            maxContextTokens: 8192,
            device: "NVIDIA H100 80GB HBM3",
            acceleratorCount: 1,
            acceleratorMemoryBytes: 85_899_345_920,
            expireTime: 1_700_003_600
        });
    }

    /// @dev Golden vector from an independent Python implementation of node.proto's digest
    /// (eth_abi.encode over the 17 words, eth_account personal_sign with key 0xA11CE), for chain
    /// id 31337 and the pool's address in this suite (the second contract setUp deploys).
    function test_nodeRegistrationDigest_goldenVectorFromPython() public view {
        assertEq(block.chainid, 31_337);
        // If the deploy order in setUp changes, regenerate the vector for the new address.
        assertEq(address(pool), 0x2e234DAe75C793f67A35089C9d99245E1C58470b);
        address provider_ = vm.addr(0xA11CE);
        assertEq(provider_, 0xe05fcC23807536bEe418f142D19fa0d21BB0cfF7);
        NodeRegistrationData memory r = _nodeRegistration(provider_);
        assertEq(pool.nodeRegistrationDigest(r), 0xc09cb9bf070e6f3b09ed8311e1f8ac38ed949681b15b79903c1ec7842c9a729b);
        bytes memory pySig =
            hex"90f982bcdcb4dd61046e7b07900705cb851de8e7583bddbd6becb237797d154d1b2fe21a2fc1360cea2d7905ee14129d7c3bc46a72aeb20780ab6f18a9ef90991c";
        assertTrue(pool.isValidNodeRegistration(r, pySig));
        assertEq(pool.NODE_REGISTRATION_TYPEHASH(), keccak256("openledger.inference.v1.NodeRegistration"));
    }

    function test_isValidNodeRegistration_rejectsTamperingAndOtherSigners() public {
        uint256 key = 0xB0B;
        NodeRegistrationData memory r = _nodeRegistration(vm.addr(key));
        bytes32 ethHash =
            keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", pool.nodeRegistrationDigest(r)));
        (uint8 v, bytes32 rr, bytes32 ss) = vm.sign(key, ethHash);
        bytes memory sig = abi.encodePacked(rr, ss, v);
        assertTrue(pool.isValidNodeRegistration(r, sig));

        NodeRegistrationData memory t = _nodeRegistration(vm.addr(key));
        t.baseModels[1] = "other-model"; // every field is covered
        assertFalse(pool.isValidNodeRegistration(t, sig));
        t = _nodeRegistration(vm.addr(key));
        t.expireTime += 1;
        assertFalse(pool.isValidNodeRegistration(t, sig));
        t = _nodeRegistration(vm.addr(key));
        t.provider = alice; // a signature by someone else than the named provider
        assertFalse(pool.isValidNodeRegistration(t, sig));
        assertFalse(pool.isValidNodeRegistration(r, hex"1234")); // malformed
        // Bound to this pool: another pool computes another digest.
        InferencePool other = new InferencePool(admin, params, MIN_STAKE, COOLDOWN);
        assertFalse(other.isValidNodeRegistration(r, sig));
        assertTrue(other.nodeRegistrationDigest(r) != pool.nodeRegistrationDigest(r));
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_slashCap(uint256 stakeAmount, uint16 bps, uint256 amount) public {
        stakeAmount = bound(stakeAmount, 1, 5000 ether);
        bps = uint16(bound(bps, 0, 10_000));
        params.setSlashingRates(params.contributorSlashBps(), bps);
        _stake(alice, stakeAmount);
        uint256 cap = stakeAmount * bps / 10_000;
        assertEq(pool.slashCap(alice), cap);
        amount = bound(amount, 1, stakeAmount);
        vm.prank(slasher);
        if (amount > cap) {
            vm.expectRevert(abi.encodeWithSelector(InferencePool.SlashExceedsCap.selector, amount, cap));
            pool.slash(alice, amount, 0);
        } else {
            pool.slash(alice, amount, 0);
            assertEq(pool.stakeOf(alice), stakeAmount - amount);
            assertEq(treasury.balance, amount);
        }
    }

    /// @dev Random sequences of stake / register / requestExit / withdraw / slash / time jumps by
    /// three providers. After every step the pool's balance equals the sum of stakes, the
    /// treasury holds exactly what was slashed, `isActive` matches its definition, and no wei is
    /// created or lost overall.
    function testFuzz_stakeExitSlashAccounting(uint256[24] calldata ops, uint16 bps) public {
        params.setSlashingRates(params.contributorSlashBps(), uint16(bound(bps, 1, 10_000)));
        address[3] memory actors = [alice, bob, carol];
        uint256 walletsBefore = alice.balance + bob.balance + carol.balance;
        uint256 slashed;

        for (uint256 k = 0; k < ops.length; ++k) {
            uint256 op = ops[k];
            address who = actors[op % 3];
            uint256 kind = (op >> 8) % 6;
            uint256 raw = op >> 16;
            InferencePool.Provider memory p = pool.provider(who);
            if (kind == 0 && !p.exiting) {
                _stake(who, bound(raw, 1, 80 ether));
            } else if (kind == 1 && !p.exiting && p.stake >= MIN_STAKE) {
                vm.prank(who);
                pool.register(bytes32(raw | 1));
            } else if (kind == 2 && !p.exiting && p.stake > 0) {
                vm.prank(who);
                pool.requestExit();
            } else if (kind == 3 && p.exiting) {
                vm.prank(who);
                if (block.timestamp < p.exitAvailableAt) {
                    vm.expectRevert(
                        abi.encodeWithSelector(InferencePool.CooldownNotElapsed.selector, p.exitAvailableAt)
                    );
                }
                pool.withdraw();
            } else if (kind == 4) {
                uint256 cap = pool.slashCap(who);
                if (cap > 0) {
                    uint256 amount = bound(raw, 1, cap);
                    vm.prank(slasher);
                    pool.slash(who, amount, bytes32(k));
                    slashed += amount;
                }
            } else {
                vm.warp(block.timestamp + bound(raw, 0, 2 * COOLDOWN));
            }
            uint256 sum;
            for (uint256 a = 0; a < 3; ++a) {
                InferencePool.Provider memory q = pool.provider(actors[a]);
                sum += q.stake;
                assertEq(pool.isActive(actors[a]), q.registered && !q.exiting && q.stake >= MIN_STAKE);
            }
            assertEq(address(pool).balance, sum, "balance != sum of stakes");
            assertEq(treasury.balance, slashed);
        }
        uint256 held;
        for (uint256 a = 0; a < 3; ++a) {
            held += actors[a].balance;
        }
        assertEq(held + address(pool).balance + slashed, walletsBefore);
    }
}
