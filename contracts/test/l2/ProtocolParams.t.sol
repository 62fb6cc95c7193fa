// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {ProtocolParams} from "../../src/l2/ProtocolParams.sol";
import {Params} from "../../src/interfaces/IProtocolParams.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @notice Unit and fuzz tests of ProtocolParams: validation, timelock-only setters, events.
contract ProtocolParamsTest is Test {
    event AttributionThresholdChanged(uint16 oldBps, uint16 newBps);
    event FeeSplitChanged(
        uint16 oldContributorsBps,
        uint16 oldModelOwnerBps,
        uint16 oldProtocolBps,
        uint16 newContributorsBps,
        uint16 newModelOwnerBps,
        uint16 newProtocolBps
    );
    event ChallengeWindowChanged(uint64 oldSeconds, uint64 newSeconds);
    event SlashingRatesChanged(
        uint16 oldContributorSlashBps,
        uint16 oldProviderSlashBps,
        uint16 newContributorSlashBps,
        uint16 newProviderSlashBps
    );
    event TreasuryChanged(address indexed oldTreasury, address indexed newTreasury);

    ProtocolParams internal pp;
    address internal timelock;
    address internal stranger;

    function _initial() internal pure returns (Params memory) {
        return Params({
            attributionThresholdBps: 100,
            contributorsBps: 7000,
            modelOwnerBps: 2000,
            protocolBps: 1000,
            challengeWindowSeconds: 7 days,
            contributorSlashBps: 1000,
            providerSlashBps: 500
        });
    }

    function setUp() public {
        timelock = makeAddr("timelock");
        stranger = makeAddr("stranger");
        pp = new ProtocolParams(timelock, _initial());
    }

    function _unauthorized(address who) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(
            IAccessControl.AccessControlUnauthorizedAccount.selector, who, keccak256("PARAMS_ADMIN_ROLE")
        );
    }

    // ---------------------------------------------------------------- construction

    function test_constructor_setsParamsRolesAndTreasury() public view {
        Params memory p = pp.params();
        assertEq(p.attributionThresholdBps, 100);
        assertEq(p.contributorsBps, 7000);
        assertEq(p.modelOwnerBps, 2000);
        assertEq(p.protocolBps, 1000);
        assertEq(p.challengeWindowSeconds, 7 days);
        assertEq(p.contributorSlashBps, 1000);
        assertEq(p.providerSlashBps, 500);
        assertEq(pp.attributionThresholdBps(), 100);
        (uint16 c, uint16 m, uint16 r) = pp.feeSplit();
        assertEq(c, 7000);
        assertEq(m, 2000);
        assertEq(r, 1000);
        assertEq(pp.challengeWindowSeconds(), 7 days);
        assertEq(pp.contributorSlashBps(), 1000);
        assertEq(pp.providerSlashBps(), 500);
        assertEq(pp.treasury(), timelock);
        assertTrue(pp.hasRole(pp.PARAMS_ADMIN_ROLE(), timelock));
        assertTrue(pp.hasRole(pp.DEFAULT_ADMIN_ROLE(), timelock));
        assertFalse(pp.hasRole(pp.PARAMS_ADMIN_ROLE(), address(this)));
        assertFalse(pp.hasRole(pp.DEFAULT_ADMIN_ROLE(), address(this)));
    }

    function test_constructor_emitsInitialValues() public {
        vm.expectEmit();
        emit AttributionThresholdChanged(0, 100);
        vm.expectEmit();
        emit FeeSplitChanged(0, 0, 0, 7000, 2000, 1000);
        vm.expectEmit();
        emit ChallengeWindowChanged(0, 7 days);
        vm.expectEmit();
        emit SlashingRatesChanged(0, 0, 1000, 500);
        vm.expectEmit();
        emit TreasuryChanged(address(0), timelock);
        new ProtocolParams(timelock, _initial());
    }

    function test_constructor_revertsOnZeroTimelock() public {
        vm.expectRevert(ProtocolParams.ZeroAddress.selector);
        new ProtocolParams(address(0), _initial());
    }

    function test_constructor_validatesInitial() public {
        Params memory p = _initial();
        p.protocolBps = 999;
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.InvalidFeeSplit.selector, 7000, 2000, 999));
        new ProtocolParams(timelock, p);

        p = _initial();
        p.attributionThresholdBps = 10_001;
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.BpsOutOfRange.selector, 10_001));
        new ProtocolParams(timelock, p);

        p = _initial();
        p.challengeWindowSeconds = 0;
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.ChallengeWindowOutOfRange.selector, 0));
        new ProtocolParams(timelock, p);
    }

    // ---------------------------------------------------------------- setters: happy paths

    function test_setAttributionThresholdBps() public {
        vm.expectEmit();
        emit AttributionThresholdChanged(100, 250);
        vm.prank(timelock);
        pp.setAttributionThresholdBps(250);
        assertEq(pp.attributionThresholdBps(), 250);
        vm.prank(timelock);
        pp.setAttributionThresholdBps(10_000); // the bound itself is allowed
        assertEq(pp.attributionThresholdBps(), 10_000);
    }

    function test_setFeeSplit() public {
        vm.expectEmit();
        emit FeeSplitChanged(7000, 2000, 1000, 6000, 3000, 1000);
        vm.prank(timelock);
        pp.setFeeSplit(6000, 3000, 1000);
        (uint16 c, uint16 m, uint16 r) = pp.feeSplit();
        assertEq(c, 6000);
        assertEq(m, 3000);
        assertEq(r, 1000);
        vm.prank(timelock);
        pp.setFeeSplit(0, 0, 10_000);
        (c, m, r) = pp.feeSplit();
        assertEq(r, 10_000);
    }

    function test_setChallengeWindowSeconds() public {
        vm.expectEmit();
        emit ChallengeWindowChanged(7 days, 1);
        vm.prank(timelock);
        pp.setChallengeWindowSeconds(1);
        assertEq(pp.challengeWindowSeconds(), 1);
        vm.prank(timelock);
        pp.setChallengeWindowSeconds(30 days);
        assertEq(pp.challengeWindowSeconds(), 30 days);
    }

    function test_setSlashingRates() public {
        vm.expectEmit();
        emit SlashingRatesChanged(1000, 500, 2500, 10_000);
        vm.prank(timelock);
        pp.setSlashingRates(2500, 10_000);
        assertEq(pp.contributorSlashBps(), 2500);
        assertEq(pp.providerSlashBps(), 10_000);
    }

    function test_setTreasury() public {
        address t = makeAddr("treasury");
        vm.expectEmit();
        emit TreasuryChanged(timelock, t);
        vm.prank(timelock);
        pp.setTreasury(t);
        assertEq(pp.treasury(), t);
    }

    function test_setParams_replacesAllAndEmitsEach() public {
        Params memory p = Params({
            attributionThresholdBps: 500,
            contributorsBps: 5000,
            modelOwnerBps: 4000,
            protocolBps: 1000,
            challengeWindowSeconds: 1 hours,
            contributorSlashBps: 0,
            providerSlashBps: 9999
        });
        vm.expectEmit();
        emit AttributionThresholdChanged(100, 500);
        vm.expectEmit();
        emit FeeSplitChanged(7000, 2000, 1000, 5000, 4000, 1000);
        vm.expectEmit();
        emit ChallengeWindowChanged(7 days, 1 hours);
        vm.expectEmit();
        emit SlashingRatesChanged(1000, 500, 0, 9999);
        vm.prank(timelock);
        pp.setParams(p);
        Params memory q = pp.params();
        assertEq(q.attributionThresholdBps, 500);
        assertEq(q.contributorsBps, 5000);
        assertEq(q.modelOwnerBps, 4000);
        assertEq(q.protocolBps, 1000);
        assertEq(q.challengeWindowSeconds, 1 hours);
        assertEq(q.contributorSlashBps, 0);
        assertEq(q.providerSlashBps, 9999);
    }

    // ---------------------------------------------------------------- setters: every custom error

    function test_setAttributionThresholdBps_revertsAbove10000() public {
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.BpsOutOfRange.selector, 10_001));
        pp.setAttributionThresholdBps(10_001);
    }

    function test_setFeeSplit_revertsWhenNotSummingTo10000() public {
        vm.startPrank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.InvalidFeeSplit.selector, 7000, 2000, 1001));
        pp.setFeeSplit(7000, 2000, 1001);
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.InvalidFeeSplit.selector, 0, 0, 0));
        pp.setFeeSplit(0, 0, 0);
        // 65535 + 65535 + 4002 wraps to 10000 in uint16: the sum must not be taken in uint16
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.InvalidFeeSplit.selector, 65535, 65535, 4002));
        pp.setFeeSplit(65535, 65535, 4002);
        vm.stopPrank();
    }

    function test_setChallengeWindowSeconds_revertsOutOfBounds() public {
        vm.startPrank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.ChallengeWindowOutOfRange.selector, 0));
        pp.setChallengeWindowSeconds(0);
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.ChallengeWindowOutOfRange.selector, 30 days + 1));
        pp.setChallengeWindowSeconds(30 days + 1);
        vm.stopPrank();
    }

    function test_setSlashingRates_revertsAbove10000() public {
        vm.startPrank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.BpsOutOfRange.selector, 10_001));
        pp.setSlashingRates(10_001, 0);
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.BpsOutOfRange.selector, 65_535));
        pp.setSlashingRates(0, 65_535);
        vm.stopPrank();
    }

    function test_setTreasury_revertsOnZero() public {
        vm.prank(timelock);
        vm.expectRevert(ProtocolParams.ZeroAddress.selector);
        pp.setTreasury(address(0));
    }

    function test_setParams_revertsOnAnyInvalidField() public {
        vm.startPrank(timelock);
        Params memory p = _initial();
        p.contributorSlashBps = 10_001;
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.BpsOutOfRange.selector, 10_001));
        pp.setParams(p);
        p = _initial();
        p.modelOwnerBps = 0;
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.InvalidFeeSplit.selector, 7000, 0, 1000));
        pp.setParams(p);
        p = _initial();
        p.challengeWindowSeconds = 31 days;
        vm.expectRevert(abi.encodeWithSelector(ProtocolParams.ChallengeWindowOutOfRange.selector, 31 days));
        pp.setParams(p);
        vm.stopPrank();
        assertEq(pp.params().contributorSlashBps, 1000); // nothing changed
    }

    // ---------------------------------------------------------------- access control

    function test_everySetter_rejectsNonTimelock() public {
        address[2] memory callers = [stranger, address(this)];
        for (uint256 i; i < callers.length; ++i) {
            address who = callers[i];
            vm.startPrank(who);
            vm.expectRevert(_unauthorized(who));
            pp.setParams(_initial());
            vm.expectRevert(_unauthorized(who));
            pp.setAttributionThresholdBps(1);
            vm.expectRevert(_unauthorized(who));
            pp.setFeeSplit(5000, 5000, 0);
            vm.expectRevert(_unauthorized(who));
            pp.setChallengeWindowSeconds(60);
            vm.expectRevert(_unauthorized(who));
            pp.setSlashingRates(1, 1);
            vm.expectRevert(_unauthorized(who));
            pp.setTreasury(who);
            vm.stopPrank();
        }
        assertEq(pp.attributionThresholdBps(), 100);
    }

    function test_roleAdmin_onlyTimelockGrants() public {
        bytes32 role = pp.PARAMS_ADMIN_ROLE();
        bytes32 adminRole = pp.DEFAULT_ADMIN_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, adminRole)
        );
        pp.grantRole(role, stranger);
        // the timelock (through governance) can delegate the role
        vm.prank(timelock);
        pp.grantRole(role, stranger);
        assertTrue(pp.hasRole(role, stranger));
    }

    // ---------------------------------------------------------------- fuzz

    function testFuzz_setFeeSplit_acceptsExactlySumsOf10000(uint16 c, uint16 m, uint16 r) public {
        bool valid = uint256(c) + uint256(m) + uint256(r) == 10_000;
        vm.prank(timelock);
        if (!valid) {
            vm.expectRevert(abi.encodeWithSelector(ProtocolParams.InvalidFeeSplit.selector, c, m, r));
        }
        pp.setFeeSplit(c, m, r);
        (uint16 c2, uint16 m2, uint16 r2) = pp.feeSplit();
        if (valid) {
            assertEq(c2, c);
            assertEq(m2, m);
            assertEq(r2, r);
        } else {
            assertEq(c2, 7000);
            assertEq(m2, 2000);
            assertEq(r2, 1000);
        }
    }

    function testFuzz_setFeeSplit_validSplits(uint16 c, uint16 m) public {
        c = uint16(bound(c, 0, 10_000));
        m = uint16(bound(m, 0, 10_000 - c));
        uint16 r = 10_000 - c - m;
        vm.prank(timelock);
        pp.setFeeSplit(c, m, r);
        (uint16 c2, uint16 m2, uint16 r2) = pp.feeSplit();
        assertEq(uint256(c2) + m2 + r2, 10_000);
        assertEq(c2, c);
        assertEq(m2, m);
    }

    function testFuzz_bpsBounds(uint16 bps) public {
        vm.startPrank(timelock);
        if (bps > 10_000) {
            vm.expectRevert(abi.encodeWithSelector(ProtocolParams.BpsOutOfRange.selector, bps));
            pp.setAttributionThresholdBps(bps);
        } else {
            pp.setAttributionThresholdBps(bps);
            assertEq(pp.attributionThresholdBps(), bps);
        }
        vm.stopPrank();
    }

    function testFuzz_challengeWindowBounds(uint64 s) public {
        vm.prank(timelock);
        if (s < 1 || s > 30 days) {
            vm.expectRevert(abi.encodeWithSelector(ProtocolParams.ChallengeWindowOutOfRange.selector, s));
            pp.setChallengeWindowSeconds(s);
        } else {
            pp.setChallengeWindowSeconds(s);
            assertEq(pp.challengeWindowSeconds(), s);
        }
    }
}
