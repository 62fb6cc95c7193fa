// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {OpenToken} from "../../src/l1/OpenToken.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Votes} from "@openzeppelin/contracts/governance/utils/Votes.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";

/// @notice Unit and fuzz tests of OpenToken: metadata, constructor checks, the cap, the minter
/// role, ERC20Votes delegation and checkpoints on the timestamp clock, permit and delegateBySig.
contract OpenTokenTest is Test {
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);
    event DelegateChanged(address indexed delegator, address indexed fromDelegate, address indexed toDelegate);
    event DelegateVotesChanged(address indexed delegate, uint256 previousVotes, uint256 newVotes);

    bytes32 internal constant PERMIT_TYPEHASH =
        keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)");
    bytes32 internal constant DELEGATION_TYPEHASH =
        keccak256("Delegation(address delegatee,uint256 nonce,uint256 expiry)");

    uint256 internal constant CAP = 1_000_000_000 ether;
    uint256 internal constant INITIAL = 400_000_000 ether;
    uint256 internal constant T0 = 1_700_000_000;

    OpenToken internal token;
    address internal admin = makeAddr("admin");
    address internal holder = makeAddr("holder");
    address internal minter = makeAddr("minter");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    address internal stranger = makeAddr("stranger");

    function setUp() public {
        vm.warp(T0);
        token = new OpenToken(admin, holder, INITIAL, CAP);
        bytes32 minterRole = token.MINTER_ROLE();
        vm.prank(admin);
        token.grantRole(minterRole, minter);
    }

    // ---------------------------------------------------------------- metadata and constructor

    function test_metadata() public view {
        assertEq(keccak256(bytes(token.name())), keccak256("OpenLedger"));
        assertEq(keccak256(bytes(token.symbol())), keccak256("OPEN"));
        assertEq(uint256(token.decimals()), 18);
        assertEq(token.cap(), CAP);
        assertEq(token.totalSupply(), INITIAL);
        assertEq(token.balanceOf(holder), INITIAL);
        assertEq(token.MINTER_ROLE(), keccak256("MINTER_ROLE"));
        assertTrue(token.hasRole(token.DEFAULT_ADMIN_ROLE(), admin));
        assertFalse(token.hasRole(token.DEFAULT_ADMIN_ROLE(), holder));
    }

    function test_constructor_doesNotGrantMinterRole() public {
        OpenToken fresh = new OpenToken(admin, holder, 0, CAP);
        assertFalse(fresh.hasRole(fresh.MINTER_ROLE(), admin));
        assertEq(fresh.totalSupply(), 0);
    }

    function test_constructor_emitsInitialMintAndRoleGrant() public {
        vm.expectEmit(true, true, true, false);
        emit IAccessControl.RoleGranted(bytes32(0), admin, address(this));
        vm.expectEmit(true, true, false, true);
        emit Transfer(address(0), holder, INITIAL);
        new OpenToken(admin, holder, INITIAL, CAP);
    }

    function test_constructor_zeroSupplyAllowsZeroHolder() public {
        OpenToken fresh = new OpenToken(admin, address(0), 0, CAP);
        assertEq(fresh.totalSupply(), 0);
    }

    function test_constructor_revertsOnZeroAdmin() public {
        vm.expectRevert(OpenToken.ZeroAdmin.selector);
        new OpenToken(address(0), holder, INITIAL, CAP);
    }

    function test_constructor_revertsOnZeroCap() public {
        vm.expectRevert(abi.encodeWithSelector(ERC20Capped.ERC20InvalidCap.selector, 0));
        new OpenToken(admin, holder, 0, 0);
    }

    function test_constructor_revertsOnCapAboveVotesLimit() public {
        uint256 tooBig = uint256(type(uint208).max) + 1;
        vm.expectRevert(
            abi.encodeWithSelector(OpenToken.CapAboveVotesLimit.selector, tooBig, uint256(type(uint208).max))
        );
        new OpenToken(admin, holder, 0, tooBig);
    }

    function test_constructor_acceptsCapAtVotesLimit() public {
        OpenToken fresh = new OpenToken(admin, holder, type(uint208).max, type(uint208).max);
        assertEq(fresh.totalSupply(), type(uint208).max);
    }

    function test_constructor_revertsWhenInitialSupplyAboveCap() public {
        vm.expectRevert(abi.encodeWithSelector(ERC20Capped.ERC20ExceededCap.selector, CAP + 1, CAP));
        new OpenToken(admin, holder, CAP + 1, CAP);
    }

    function test_constructor_revertsOnZeroHolderWithSupply() public {
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        new OpenToken(admin, address(0), INITIAL, CAP);
    }

    // ---------------------------------------------------------------- minting and roles

    function test_mint_byMinter() public {
        vm.expectEmit(true, true, false, true);
        emit Transfer(address(0), alice, 5 ether);
        vm.prank(minter);
        token.mint(alice, 5 ether);
        assertEq(token.balanceOf(alice), 5 ether);
        assertEq(token.totalSupply(), INITIAL + 5 ether);
    }

    function test_mint_upToExactlyTheCap() public {
        vm.prank(minter);
        token.mint(alice, CAP - INITIAL);
        assertEq(token.totalSupply(), CAP);
    }

    function test_mint_revertsPastTheCap() public {
        vm.prank(minter);
        vm.expectRevert(abi.encodeWithSelector(ERC20Capped.ERC20ExceededCap.selector, CAP + 1, CAP));
        token.mint(alice, CAP - INITIAL + 1);
    }

    function test_mint_pastVotesLimitStillReportsTheCap() public {
        uint256 max = type(uint208).max;
        OpenToken full = new OpenToken(admin, holder, max, max);
        bytes32 role = full.MINTER_ROLE();
        vm.prank(admin);
        full.grantRole(role, minter);
        vm.prank(minter);
        vm.expectRevert(abi.encodeWithSelector(ERC20Capped.ERC20ExceededCap.selector, max + 1, max));
        full.mint(alice, 1);
    }

    function test_mint_revertsToZeroAddress() public {
        vm.prank(minter);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InvalidReceiver.selector, address(0)));
        token.mint(address(0), 1);
    }

    function test_mint_revertsForUnauthorisedCallers() public {
        bytes32 role = token.MINTER_ROLE();
        address[3] memory callers = [stranger, admin, holder];
        for (uint256 i = 0; i < callers.length; i++) {
            vm.prank(callers[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, callers[i], role)
            );
            token.mint(callers[i], 1);
        }
    }

    function test_mint_revokedMinterCannotMint() public {
        bytes32 role = token.MINTER_ROLE();
        vm.prank(admin);
        token.revokeRole(role, minter);
        vm.prank(minter);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, minter, role));
        token.mint(minter, 1);
    }

    function test_grantRole_revertsForNonAdmin() public {
        bytes32 role = token.MINTER_ROLE();
        bytes32 adminRole = token.DEFAULT_ADMIN_ROLE();
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, adminRole)
        );
        token.grantRole(role, stranger);
        vm.prank(minter);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, minter, adminRole)
        );
        token.revokeRole(role, minter);
    }

    // ---------------------------------------------------------------- votes on the timestamp clock

    function test_clock_isTimestamp() public {
        assertEq(keccak256(bytes(token.CLOCK_MODE())), keccak256("mode=timestamp"));
        assertEq(uint256(token.clock()), T0);
        vm.warp(T0 + 123);
        vm.roll(block.number + 1);
        assertEq(uint256(token.clock()), T0 + 123);
    }

    function test_votes_needDelegation() public view {
        assertEq(token.getVotes(holder), 0);
        assertEq(token.delegates(holder), address(0));
        assertEq(uint256(token.numCheckpoints(holder)), 0);
    }

    function test_votes_selfDelegation() public {
        vm.expectEmit(true, true, true, true);
        emit DelegateChanged(holder, address(0), holder);
        vm.expectEmit(true, false, false, true);
        emit DelegateVotesChanged(holder, 0, INITIAL);
        vm.prank(holder);
        token.delegate(holder);
        assertEq(token.delegates(holder), holder);
        assertEq(token.getVotes(holder), INITIAL);
        assertEq(uint256(token.numCheckpoints(holder)), 1);
        Checkpoints.Checkpoint208 memory cp = token.checkpoints(holder, 0);
        assertEq(uint256(cp._key), T0);
        assertEq(uint256(cp._value), INITIAL);
    }

    function test_votes_transfersMoveVotesAndCheckpointsByTime() public {
        vm.prank(holder);
        token.delegate(holder);
        vm.prank(alice);
        token.delegate(bob);

        vm.warp(T0 + 100);
        vm.prank(holder);
        assertTrue(token.transfer(alice, 30 ether));
        assertEq(token.getVotes(holder), INITIAL - 30 ether);
        assertEq(token.getVotes(bob), 30 ether);
        assertEq(token.getVotes(alice), 0);

        vm.warp(T0 + 200);
        vm.prank(minter);
        token.mint(alice, 70 ether);
        assertEq(token.getVotes(bob), 100 ether);

        vm.warp(T0 + 300);
        assertEq(token.getPastVotes(holder, T0), INITIAL);
        assertEq(token.getPastVotes(holder, T0 + 99), INITIAL);
        assertEq(token.getPastVotes(holder, T0 + 100), INITIAL - 30 ether);
        assertEq(token.getPastVotes(bob, T0 + 150), 30 ether);
        assertEq(token.getPastVotes(bob, T0 + 250), 100 ether);
        assertEq(token.getPastTotalSupply(T0 + 199), INITIAL);
        assertEq(token.getPastTotalSupply(T0 + 200), INITIAL + 70 ether);
        assertEq(uint256(token.numCheckpoints(holder)), 2);
        assertEq(uint256(token.numCheckpoints(bob)), 2);
    }

    function test_votes_redelegationMovesAllVotes() public {
        vm.startPrank(holder);
        token.delegate(alice);
        assertEq(token.getVotes(alice), INITIAL);
        token.delegate(bob);
        vm.stopPrank();
        assertEq(token.getVotes(alice), 0);
        assertEq(token.getVotes(bob), INITIAL);
    }

    function test_votes_futureLookupReverts() public {
        vm.expectRevert(abi.encodeWithSelector(Votes.ERC5805FutureLookup.selector, T0, T0));
        token.getPastVotes(holder, T0);
        vm.expectRevert(abi.encodeWithSelector(Votes.ERC5805FutureLookup.selector, T0 + 1, T0));
        token.getPastTotalSupply(T0 + 1);
    }

    function test_delegateBySig() public {
        uint256 pk = 0xA11CE;
        address signer = vm.addr(pk);
        vm.prank(holder);
        assertTrue(token.transfer(signer, 10 ether));

        uint256 expiry = T0 + 1 hours;
        (uint8 v, bytes32 r, bytes32 s) = _signDelegation(pk, bob, 0, expiry);
        vm.expectEmit(true, true, true, true);
        emit DelegateChanged(signer, address(0), bob);
        vm.prank(stranger); // anyone may relay the signature
        token.delegateBySig(bob, 0, expiry, v, r, s);
        assertEq(token.delegates(signer), bob);
        assertEq(token.getVotes(bob), 10 ether);
        assertEq(token.nonces(signer), 1);

        // Replaying the same signature fails: the nonce it commits to is spent.
        vm.expectRevert(abi.encodeWithSelector(Nonces.InvalidAccountNonce.selector, signer, 1));
        token.delegateBySig(bob, 0, expiry, v, r, s);
    }

    function test_delegateBySig_revertsWhenExpired() public {
        uint256 pk = 0xA11CE;
        uint256 expiry = T0 - 1;
        (uint8 v, bytes32 r, bytes32 s) = _signDelegation(pk, bob, 0, expiry);
        vm.expectRevert(abi.encodeWithSelector(IVotes.VotesExpiredSignature.selector, expiry));
        token.delegateBySig(bob, 0, expiry, v, r, s);
    }

    // ---------------------------------------------------------------- permit

    function test_domainSeparator() public view {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("OpenLedger"),
                keccak256("1"),
                block.chainid,
                address(token)
            )
        );
        assertEq(token.DOMAIN_SEPARATOR(), expected);
    }

    function test_permit() public {
        uint256 pk = 0xB0B;
        address owner = vm.addr(pk);
        vm.prank(holder);
        assertTrue(token.transfer(owner, 50 ether));

        uint256 deadline = T0 + 1 days;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(pk, owner, alice, 20 ether, 0, deadline);
        vm.expectEmit(true, true, false, true);
        emit Approval(owner, alice, 20 ether);
        vm.prank(stranger); // anyone may submit the permit
        token.permit(owner, alice, 20 ether, deadline, v, r, s);
        assertEq(token.allowance(owner, alice), 20 ether);
        assertEq(token.nonces(owner), 1);

        vm.prank(alice);
        assertTrue(token.transferFrom(owner, bob, 20 ether));
        assertEq(token.balanceOf(bob), 20 ether);
        assertEq(token.allowance(owner, alice), 0);
    }

    function test_permit_revertsWhenExpired() public {
        uint256 pk = 0xB0B;
        address owner = vm.addr(pk);
        uint256 deadline = T0 - 1;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(pk, owner, alice, 1 ether, 0, deadline);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612ExpiredSignature.selector, deadline));
        token.permit(owner, alice, 1 ether, deadline, v, r, s);
    }

    function test_permit_revertsOnWrongSigner() public {
        address owner = vm.addr(0xB0B);
        uint256 deadline = T0 + 1;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(0xBAD, owner, alice, 1 ether, 0, deadline);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, vm.addr(0xBAD), owner));
        token.permit(owner, alice, 1 ether, deadline, v, r, s);
    }

    function test_permit_replayReverts() public {
        uint256 pk = 0xB0B;
        address owner = vm.addr(pk);
        uint256 deadline = T0 + 1;
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(pk, owner, alice, 1 ether, 0, deadline);
        token.permit(owner, alice, 1 ether, deadline, v, r, s);
        // With the nonce now 1 the digest differs, so the signature recovers to another address.
        bytes32 digest = keccak256(
            abi.encodePacked(
                "\x19\x01",
                token.DOMAIN_SEPARATOR(),
                keccak256(abi.encode(PERMIT_TYPEHASH, owner, alice, 1 ether, uint256(1), deadline))
            )
        );
        address recovered = ecrecover(digest, v, r, s);
        vm.expectRevert(abi.encodeWithSelector(ERC20Permit.ERC2612InvalidSigner.selector, recovered, owner));
        token.permit(owner, alice, 1 ether, deadline, v, r, s);
    }

    function test_permitAndDelegateShareOneNonce() public {
        uint256 pk = 0xC0FFEE;
        address owner = vm.addr(pk);
        (uint8 v, bytes32 r, bytes32 s) = _signPermit(pk, owner, alice, 1, 0, T0 + 1);
        token.permit(owner, alice, 1, T0 + 1, v, r, s);
        (v, r, s) = _signDelegation(pk, bob, 1, T0 + 1);
        token.delegateBySig(bob, 1, T0 + 1, v, r, s);
        assertEq(token.nonces(owner), 2);
        assertEq(token.delegates(owner), bob);
    }

    // ---------------------------------------------------------------- fuzz

    /// @dev Arbitrary mints against an arbitrary cap: each either fits and succeeds or would
    /// pass the cap and reverts with ERC20ExceededCap; the supply never exceeds the cap.
    function testFuzz_capNeverExceeded(uint256 cap, uint256 initial, uint256[8] memory amounts) public {
        cap = bound(cap, 1, type(uint208).max);
        initial = bound(initial, 0, cap);
        OpenToken t = new OpenToken(admin, holder, initial, cap);
        bytes32 role = t.MINTER_ROLE();
        vm.prank(admin);
        t.grantRole(role, minter);
        for (uint256 i = 0; i < amounts.length; i++) {
            // Up to twice the cap, so roughly half the mints would overflow it.
            uint256 amount = bound(amounts[i], 0, cap * 2 > type(uint208).max ? type(uint208).max : cap * 2);
            uint256 supply = t.totalSupply();
            vm.prank(minter);
            if (supply + amount > cap) {
                vm.expectRevert(abi.encodeWithSelector(ERC20Capped.ERC20ExceededCap.selector, supply + amount, cap));
                t.mint(alice, amount);
                assertEq(t.totalSupply(), supply);
            } else {
                t.mint(alice, amount);
                assertEq(t.totalSupply(), supply + amount);
            }
            assertLe(t.totalSupply(), cap);
        }
    }

    /// @dev Votes always equal the delegated balances, whatever the transfers and delegations.
    function testFuzz_votesTrackDelegatedBalances(uint96 a, uint96 b, uint8 delegationMask, uint256 when) public {
        uint256 toAlice = bound(a, 0, INITIAL / 2);
        uint256 toBob = bound(b, 0, INITIAL / 2);
        vm.startPrank(holder);
        token.delegate((delegationMask & 1) == 0 ? holder : bob);
        assertTrue(token.transfer(alice, toAlice));
        assertTrue(token.transfer(bob, toBob));
        vm.stopPrank();
        vm.prank(alice);
        token.delegate((delegationMask & 2) == 0 ? alice : bob);
        vm.prank(bob);
        token.delegate((delegationMask & 4) == 0 ? bob : alice);

        uint256 sum = token.getVotes(holder) + token.getVotes(alice) + token.getVotes(bob);
        assertEq(sum, INITIAL, "every unit is delegated exactly once");
        uint256 aliceVotes = ((delegationMask & 2) == 0 ? toAlice : 0) + ((delegationMask & 4) == 0 ? 0 : toBob);
        assertEq(token.getVotes(alice), aliceVotes);

        vm.warp(T0 + bound(when, 1, 365 days));
        assertEq(token.getPastVotes(alice, T0), aliceVotes);
        assertEq(token.getPastTotalSupply(T0), INITIAL);
    }

    // ---------------------------------------------------------------- helpers

    function _signPermit(uint256 pk, address owner, address spender, uint256 value, uint256 nonce, uint256 deadline)
        internal
        view
        returns (uint8, bytes32, bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(PERMIT_TYPEHASH, owner, spender, value, nonce, deadline));
        return vm.sign(pk, keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash)));
    }

    function _signDelegation(uint256 pk, address delegatee, uint256 nonce, uint256 expiry)
        internal
        view
        returns (uint8, bytes32, bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(DELEGATION_TYPEHASH, delegatee, nonce, expiry));
        return vm.sign(pk, keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash)));
    }
}
