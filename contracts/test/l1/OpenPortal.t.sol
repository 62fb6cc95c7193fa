// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test, Log} from "../utils/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {OpenPortal} from "../../src/l1/OpenPortal.sol";
import {OpenToken} from "../../src/l1/OpenToken.sol";
import {L2OutputOracle} from "../../src/l1/L2OutputOracle.sol";
import {IL2OutputOracle, OutputProposal} from "../../src/interfaces/IL2OutputOracle.sol";
import {Hashing} from "../../src/libraries/Hashing.sol";
import {Types} from "../../src/libraries/Types.sol";
import {ProofVectors} from "../libraries/MerkleTrie.t.sol";

/// @notice An L1 contract that deposits through the portal (its sender must be aliased).
contract ContractDepositor {
    /// @notice Approves and deposits `amount` to `to` from this contract.
    function deposit(OpenPortal portal, IERC20 token, address to, uint256 amount) external {
        token.approve(address(portal), amount);
        portal.depositOPEN(to, amount, 100_000, "");
    }
}

/// @notice An oracle whose finality flag is set by hand, to reach the portal's own
/// `OutputNotFinalized` check (the real oracle is final whenever the proof has aged a window).
contract ManualOracle is IL2OutputOracle {
    OutputProposal internal output;
    bool internal finalized;
    /// @inheritdoc IL2OutputOracle
    uint256 public challengeWindow = 1 days;

    /// @notice Sets the single output (proposed now) and whether it reads as final.
    function set(bytes32 root, bool isFinal) external {
        output = OutputProposal({outputRoot: root, timestamp: uint128(block.timestamp), l2BlockNumber: 1});
        finalized = isFinal;
    }

    /// @inheritdoc IL2OutputOracle
    function getL2Output(uint256) external view returns (OutputProposal memory) {
        return output;
    }

    /// @inheritdoc IL2OutputOracle
    function nextOutputIndex() external pure returns (uint256) {
        return 1;
    }

    /// @inheritdoc IL2OutputOracle
    function isFinalized(uint256) external view returns (bool) {
        return finalized;
    }
}

/// @notice OpenPortal with the real OpenToken and L2OutputOracle: deposits (exact event bytes,
/// aliasing, ETH refused, every rule), guardian pausing, and withdrawals proven with real anvil
/// storage proofs (see ProofVectors) through prove -> challenge window -> finalise.
contract OpenPortalTest is Test {
    OpenToken internal token;
    L2OutputOracle internal oracle;
    OpenPortal internal portal;

    address internal admin = makeAddr("admin");
    address internal guardian = makeAddr("guardian");
    address internal proposer = makeAddr("proposer");
    address internal challenger = makeAddr("challenger");
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");

    uint256 internal constant WINDOW = 7 days;
    uint256 internal constant T0 = 1_700_000_000;
    bytes32 internal constant DEPOSIT_TOPIC = keccak256("TransactionDeposited(address,address,uint256,bytes)");

    function setUp() public {
        vm.warp(T0);
        token = new OpenToken(admin, alice, 1_000_000 ether, 10_000_000 ether);
        oracle = new L2OutputOracle(admin, proposer, challenger, WINDOW, 0, 1);
        portal = new OpenPortal(admin, IERC20(address(token)), IL2OutputOracle(address(oracle)), guardian);
        vm.prank(alice);
        token.approve(address(portal), type(uint256).max);
    }

    // ================================================================== helpers

    /// @dev alice deposits as an EOA (msg.sender == tx.origin).
    function _deposit(uint256 amount) internal {
        vm.prank(alice, alice);
        portal.depositOPEN(alice, amount, 100_000, "");
    }

    function _vectorOutput() internal pure returns (Types.OutputRootProof memory) {
        return Types.OutputRootProof({
            version: bytes32(0),
            stateRoot: ProofVectors.STATE_ROOT,
            messagePasserStorageRoot: ProofVectors.STORAGE_ROOT,
            latestBlockhash: ProofVectors.BLOCK_HASH
        });
    }

    /// @dev Proposes `p`'s output root for L2 block `l2Block`; returns its index.
    function _propose(Types.OutputRootProof memory p, uint256 l2Block) internal returns (uint256 index) {
        index = oracle.nextOutputIndex();
        vm.prank(proposer);
        oracle.proposeL2Output(Hashing.hashOutputRootProof(p), l2Block, bytes32(0), 0);
    }

    function _proveA() internal returns (bytes32 wh) {
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        wh = Hashing.hashWithdrawal(wtx);
        portal.proveWithdrawalTransaction(wtx, 0, _vectorOutput(), ProofVectors.withdrawalAProof());
    }

    /// @dev The opaqueData of the first TransactionDeposited log, with its topics.
    function _depositLog() internal returns (bytes32[] memory topics, bytes memory opaqueData) {
        Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].emitter == address(portal) && logs[i].topics[0] == DEPOSIT_TOPIC) {
                return (logs[i].topics, abi.decode(logs[i].data, (bytes)));
            }
        }
        revert("no deposit log");
    }

    /// @dev A one-leaf storage trie holding `encodedWord` (the RLP of a storage word) at the
    /// slot of `wtx`, and an output committing to it.
    function _syntheticOutput(Types.WithdrawalTransaction memory wtx, bytes memory encodedWord)
        internal
        pure
        returns (Types.OutputRootProof memory p, bytes[] memory proof)
    {
        bytes32 path = keccak256(abi.encode(Hashing.withdrawalStorageSlot(Hashing.hashWithdrawal(wtx))));
        // Leaf [0x20 ‖ path (even-length leaf), value]: a list of a 33-byte string and the value.
        bytes memory value = encodedWord.length == 1 && uint8(encodedWord[0]) < 0x80
            ? encodedWord
            : abi.encodePacked(hex"81", encodedWord);
        bytes memory leaf = abi.encodePacked(uint8(0xc0 + 34 + value.length), hex"a120", path, value);
        proof = new bytes[](1);
        proof[0] = leaf;
        p = Types.OutputRootProof({
            version: bytes32(0),
            stateRoot: keccak256("state"),
            messagePasserStorageRoot: keccak256(leaf),
            latestBlockhash: keccak256("block")
        });
    }

    // ============================================================== constructor

    function test_Constructor_SetsImmutablesAndRoles() public view {
        assertEq(address(portal.openToken()), address(token));
        assertEq(address(portal.oracle()), address(oracle));
        assertTrue(portal.hasRole(portal.DEFAULT_ADMIN_ROLE(), admin));
        assertTrue(portal.hasRole(portal.GUARDIAN_ROLE(), guardian));
        assertFalse(portal.hasRole(portal.GUARDIAN_ROLE(), admin));
        assertFalse(portal.paused());
    }

    function test_Constructor_RevertWhen_ZeroAddress() public {
        IERC20 t = IERC20(address(token));
        IL2OutputOracle o = IL2OutputOracle(address(oracle));
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.ZeroAddress.selector, "admin"));
        new OpenPortal(address(0), t, o, guardian);
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.ZeroAddress.selector, "openToken"));
        new OpenPortal(admin, IERC20(address(0)), o, guardian);
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.ZeroAddress.selector, "oracle"));
        new OpenPortal(admin, t, IL2OutputOracle(address(0)), guardian);
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.ZeroAddress.selector, "guardian"));
        new OpenPortal(admin, t, o, address(0));
    }

    // ================================================================= deposits

    function test_Deposit_EmitsOpStackEventBytes() public {
        vm.recordLogs();
        vm.prank(alice, alice);
        portal.depositOPEN(bob, 1.5 ether, 100_000, hex"deadbeef");
        (bytes32[] memory topics, bytes memory opaqueData) = _depositLog();

        assertEq(topics.length, 4);
        assertEq(topics[1], bytes32(uint256(uint160(alice)))); // EOA: not aliased
        assertEq(topics[2], bytes32(uint256(uint160(bob))));
        assertEq(topics[3], bytes32(0)); // version 0
        // mint (32) ‖ value (32) ‖ gasLimit (8) ‖ isCreation (1) ‖ data
        assertEq(
            opaqueData,
            hex"00000000000000000000000000000000000000000000000014d1120d7b160000"
            hex"00000000000000000000000000000000000000000000000014d1120d7b160000" hex"00000000000186a0" hex"00"
            hex"deadbeef"
        );
        assertEq(token.balanceOf(address(portal)), 1.5 ether);
        assertEq(token.balanceOf(alice), 1_000_000 ether - 1.5 ether);
    }

    function test_Deposit_ExpectEmit() public {
        vm.expectEmit(true, true, true, true);
        emit OpenPortal.TransactionDeposited(
            alice, alice, 0, abi.encodePacked(uint256(7), uint256(7), uint64(21_000), false, bytes(""))
        );
        vm.prank(alice, alice);
        portal.depositOPEN(alice, 7, 21_000, "");
    }

    function test_Deposit_AliasesContractSender() public {
        ContractDepositor depositor = new ContractDepositor();
        vm.prank(alice);
        token.transfer(address(depositor), 5 ether);
        vm.recordLogs();
        vm.prank(alice, alice); // an EOA calls the contract, which calls the portal
        depositor.deposit(portal, IERC20(address(token)), bob, 5 ether);
        (bytes32[] memory topics,) = _depositLog();
        address aliased = address(uint160(address(depositor)) + uint160(0x1111000000000000000000000000000000001111));
        assertEq(topics[1], bytes32(uint256(uint160(aliased))));
        assertEq(portal.applyL1ToL2Alias(address(depositor)), aliased);
        assertEq(token.balanceOf(address(portal)), 5 ether);
    }

    function test_Alias_WrapsAround() public view {
        assertEq(
            portal.applyL1ToL2Alias(address(type(uint160).max)), address(0x1111000000000000000000000000000000001110)
        );
    }

    function testFuzz_Alias_IsOffsetModulo2To160(address l1) public view {
        address l2 = portal.applyL1ToL2Alias(l1);
        unchecked {
            assertEq(address(uint160(l2) - portal.L1_TO_L2_ALIAS_OFFSET()), l1);
        }
    }

    function test_RevertWhen_EthSent() public {
        vm.deal(alice, 10 ether);
        vm.startPrank(alice);
        (bool plain,) = address(portal).call{value: 1 ether}("");
        assertFalse(plain);
        (bool withDeposit,) = address(portal).call{value: 1 ether}(
            abi.encodeCall(OpenPortal.depositOPEN, (alice, 1 ether, 100_000, bytes("")))
        );
        assertFalse(withDeposit);
        (bool unknown,) = address(portal).call{value: 1 ether}(hex"12345678");
        assertFalse(unknown);
        vm.stopPrank();
        assertEq(address(portal).balance, 0);
        assertEq(alice.balance, 10 ether);
    }

    function test_Deposit_RevertWhen_InsufficientAllowance() public {
        vm.prank(alice);
        token.transfer(bob, 10 ether);
        vm.prank(bob);
        token.approve(address(portal), 1 ether);
        vm.prank(bob, bob);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(portal), 1 ether, 2 ether)
        );
        portal.depositOPEN(bob, 2 ether, 100_000, "");
    }

    function test_Deposit_RevertWhen_InsufficientBalance() public {
        vm.prank(bob);
        token.approve(address(portal), 1 ether);
        vm.prank(bob, bob);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, bob, 0, 1 ether));
        portal.depositOPEN(bob, 1 ether, 100_000, "");
    }

    function test_Deposit_RevertWhen_ZeroAmount() public {
        vm.prank(alice, alice);
        vm.expectRevert(OpenPortal.ZeroAmount.selector);
        portal.depositOPEN(bob, 0, 100_000, "");
    }

    function test_Deposit_RevertWhen_ZeroRecipient() public {
        vm.prank(alice, alice);
        vm.expectRevert(OpenPortal.ZeroRecipient.selector);
        portal.depositOPEN(address(0), 1, 100_000, "");
    }

    function test_Deposit_MinimumGasLimitBoundary() public {
        assertEq(portal.minimumGasLimit(0), 21_000);
        assertEq(portal.minimumGasLimit(4), 21_064);
        vm.prank(alice, alice);
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.GasLimitTooLow.selector, uint64(21_063), uint64(21_064)));
        portal.depositOPEN(bob, 1, 21_063, hex"01020304");
        vm.prank(alice, alice);
        portal.depositOPEN(bob, 1, 21_064, hex"01020304");
    }

    function test_Deposit_RevertWhen_GasLimitTooHigh() public {
        vm.prank(alice, alice);
        vm.expectRevert(
            abi.encodeWithSelector(OpenPortal.GasLimitTooHigh.selector, uint64(20_000_001), uint64(20_000_000))
        );
        portal.depositOPEN(bob, 1, 20_000_001, "");
        vm.prank(alice, alice);
        portal.depositOPEN(bob, 1, 20_000_000, "");
    }

    function test_Deposit_RevertWhen_DataTooLarge() public {
        bytes memory data = new bytes(120_001);
        vm.prank(alice, alice);
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.DepositDataTooLarge.selector, 120_001, 120_000));
        portal.depositOPEN(bob, 1, 20_000_000, data);
    }

    function testFuzz_Deposit_LayoutAndLock(uint256 amount, uint64 gasLimit, bytes calldata data, address to) public {
        vm.assume(to != address(0) && data.length <= 2_000);
        amount = bound(amount, 1, 1_000_000 ether);
        uint64 minimum = portal.minimumGasLimit(uint64(data.length));
        gasLimit = uint64(bound(gasLimit, minimum, portal.MAX_DEPOSIT_GAS_LIMIT()));

        vm.recordLogs();
        vm.prank(alice, alice);
        portal.depositOPEN(to, amount, gasLimit, data);
        (bytes32[] memory topics, bytes memory opaqueData) = _depositLog();

        assertEq(topics[2], bytes32(uint256(uint160(to))));
        assertEq(opaqueData.length, 73 + data.length);
        (uint256 mint, uint256 value) = abi.decode(opaqueData, (uint256, uint256));
        assertEq(mint, amount);
        assertEq(value, amount);
        uint64 gas;
        for (uint256 i = 64; i < 72; ++i) {
            gas = (gas << 8) | uint8(opaqueData[i]);
        }
        assertEq(uint256(gas), uint256(gasLimit));
        assertEq(uint8(opaqueData[72]), 0); // isCreation = false
        for (uint256 i = 0; i < data.length; ++i) {
            assertEq(uint8(opaqueData[73 + i]), uint8(data[i]));
        }
        assertEq(token.balanceOf(address(portal)), amount);
    }

    // ================================================================ guardian

    function test_Pause_BlocksDepositsAndWithdrawals() public {
        vm.prank(guardian);
        portal.pause();
        assertTrue(portal.paused());

        vm.prank(alice, alice);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        portal.depositOPEN(bob, 1, 100_000, "");

        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        portal.proveWithdrawalTransaction(wtx, 0, _vectorOutput(), proof);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        portal.finalizeWithdrawalTransaction(wtx);

        vm.prank(guardian);
        portal.unpause();
        _deposit(1);
        assertEq(token.balanceOf(address(portal)), 1);
    }

    function test_RevertWhen_UnauthorisedPauseOrUnpause() public {
        bytes32 role = portal.GUARDIAN_ROLE();
        address[2] memory outsiders = [alice, admin];
        for (uint256 i = 0; i < outsiders.length; ++i) {
            vm.prank(outsiders[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, outsiders[i], role)
            );
            portal.pause();
        }
        vm.prank(guardian);
        portal.pause();
        for (uint256 i = 0; i < outsiders.length; ++i) {
            vm.prank(outsiders[i]);
            vm.expectRevert(
                abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, outsiders[i], role)
            );
            portal.unpause();
        }
    }

    function test_AdminManagesGuardians() public {
        bytes32 role = portal.GUARDIAN_ROLE();
        bytes32 adminRole = portal.DEFAULT_ADMIN_ROLE();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, adminRole)
        );
        portal.grantRole(role, alice);
        vm.prank(admin);
        portal.grantRole(role, bob);
        vm.prank(bob);
        portal.pause();
        assertTrue(portal.paused());
    }

    // ============================================================= withdrawals

    function test_FullFlow_ProveWarpFinalize() public {
        _deposit(10 ether);
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        bytes32 wh = Hashing.hashWithdrawal(wtx);
        assertEq(wh, ProofVectors.WITHDRAWAL_A_HASH);

        vm.warp(T0 + 1 hours);
        vm.expectEmit(true, true, true, true);
        emit OpenPortal.WithdrawalProven(wh, wtx.sender, wtx.target);
        portal.proveWithdrawalTransaction(wtx, 0, _vectorOutput(), ProofVectors.withdrawalAProof());
        (bytes32 root, uint128 ts, uint128 index) = portal.provenWithdrawals(wh);
        assertEq(root, Hashing.hashOutputRootProof(_vectorOutput()));
        assertEq(uint256(ts), T0 + 1 hours);
        assertEq(uint256(index), 0);

        // Not before a full window since the proof (the output itself is final an hour earlier).
        uint256 readyAt = T0 + 1 hours + WINDOW;
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.ChallengeWindowNotElapsed.selector, readyAt));
        portal.finalizeWithdrawalTransaction(wtx);
        vm.warp(readyAt - 1);
        assertTrue(oracle.isFinalized(0));
        assertFalse(portal.isFinalizable(wh));
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.ChallengeWindowNotElapsed.selector, readyAt));
        portal.finalizeWithdrawalTransaction(wtx);

        vm.warp(readyAt);
        assertTrue(portal.isFinalizable(wh));
        vm.expectEmit(true, true, true, true);
        emit OpenPortal.WithdrawalFinalized(wh, true);
        vm.prank(bob); // anyone may finalise; the OPEN goes to the target
        portal.finalizeWithdrawalTransaction(wtx);

        assertEq(token.balanceOf(wtx.target), wtx.value);
        assertEq(token.balanceOf(address(portal)), 10 ether - wtx.value);
        assertTrue(portal.finalizedWithdrawals(wh));
        assertFalse(portal.isFinalizable(wh));
    }

    function test_Finalize_RevertWhen_AlreadyFinalized() public {
        _deposit(10 ether);
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        bytes32 wh = _proveA();
        vm.warp(block.timestamp + WINDOW);
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        portal.finalizeWithdrawalTransaction(wtx);

        vm.expectRevert(abi.encodeWithSelector(OpenPortal.WithdrawalAlreadyFinalized.selector, wh));
        portal.finalizeWithdrawalTransaction(wtx);
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.WithdrawalAlreadyFinalized.selector, wh));
        portal.proveWithdrawalTransaction(wtx, 0, _vectorOutput(), proof);
        assertEq(token.balanceOf(wtx.target), wtx.value);
    }

    function test_FullFlow_ThreeRealWithdrawals() public {
        _deposit(1 ether);
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        Types.WithdrawalTransaction[3] memory w =
            [ProofVectors.withdrawalA(), ProofVectors.withdrawalB(), ProofVectors.withdrawalC()];
        portal.proveWithdrawalTransaction(w[0], 0, _vectorOutput(), ProofVectors.withdrawalAProof());
        portal.proveWithdrawalTransaction(w[1], 0, _vectorOutput(), ProofVectors.withdrawalBProof());
        portal.proveWithdrawalTransaction(w[2], 0, _vectorOutput(), ProofVectors.withdrawalCProof());
        vm.warp(block.timestamp + WINDOW);
        uint256 paid;
        for (uint256 i = 0; i < 3; ++i) {
            portal.finalizeWithdrawalTransaction(w[i]);
            assertEq(token.balanceOf(w[i].target), w[i].value);
            paid += w[i].value;
        }
        assertEq(token.balanceOf(address(portal)), 1 ether - paid);
    }

    function test_Prove_RevertWhen_OutputRootProofWrong() public {
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        Types.OutputRootProof memory bad = _vectorOutput();
        bad.latestBlockhash = keccak256("another block");
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        vm.expectRevert(
            abi.encodeWithSelector(
                OpenPortal.InvalidOutputRootProof.selector,
                Hashing.hashOutputRootProof(_vectorOutput()),
                Hashing.hashOutputRootProof(bad)
            )
        );
        portal.proveWithdrawalTransaction(wtx, 0, bad, proof);
    }

    function test_Prove_RevertWhen_OutputMissing() public {
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.OutputUnavailable.selector, 0));
        portal.proveWithdrawalTransaction(wtx, 0, _vectorOutput(), proof);
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.OutputUnavailable.selector, 5));
        portal.proveWithdrawalTransaction(wtx, 5, _vectorOutput(), proof);
    }

    function test_Prove_RevertWhen_AlreadyProven() public {
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        bytes32 wh = _proveA();
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        vm.warp(block.timestamp + 1 days);
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.WithdrawalAlreadyProven.selector, wh));
        portal.proveWithdrawalTransaction(wtx, 0, _vectorOutput(), proof);
    }

    function test_Prove_RevertWhen_WithdrawalAltered() public {
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        wtx.value += 1; // claim one wei more: another hash, another slot, no proof
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        vm.expectRevert();
        portal.proveWithdrawalTransaction(wtx, 0, _vectorOutput(), proof);
        // Someone else's proof does not prove it either.
        wtx = ProofVectors.withdrawalA();
        proof = ProofVectors.withdrawalCProof();
        vm.expectRevert();
        portal.proveWithdrawalTransaction(wtx, 0, _vectorOutput(), proof);
    }

    function test_Prove_RevertWhen_SlotHoldsZero() public {
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalC();
        bytes32 wh = Hashing.hashWithdrawal(wtx);
        // A trie that stores the word as RLP "0x80" (zero), and one as a zero byte.
        bytes[2] memory words = [bytes(hex"80"), bytes(hex"00")];
        for (uint256 i = 0; i < 2; ++i) {
            (Types.OutputRootProof memory p, bytes[] memory proof) = _syntheticOutput(wtx, words[i]);
            uint256 index = _propose(p, ProofVectors.BLOCK_NUMBER + i);
            vm.expectRevert(abi.encodeWithSelector(OpenPortal.WithdrawalNotSent.selector, wh));
            portal.proveWithdrawalTransaction(wtx, index, p, proof);
        }
    }

    function test_Finalize_RevertWhen_NotProven() public {
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.WithdrawalNotProven.selector, ProofVectors.WITHDRAWAL_A_HASH));
        portal.finalizeWithdrawalTransaction(wtx);
        assertFalse(portal.isFinalizable(ProofVectors.WITHDRAWAL_A_HASH));
    }

    function test_Finalize_RevertWhen_OutputDeleted() public {
        _deposit(10 ether);
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        _proveA();
        vm.warp(block.timestamp + 1 days);
        vm.prank(challenger);
        oracle.deleteL2Outputs(0);
        vm.warp(block.timestamp + WINDOW);
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.OutputUnavailable.selector, 0));
        portal.finalizeWithdrawalTransaction(wtx);
        assertFalse(portal.isFinalizable(ProofVectors.WITHDRAWAL_A_HASH));
        assertEq(token.balanceOf(wtx.target), 0);
    }

    function test_Finalize_RevertWhen_OutputReplaced() public {
        _deposit(10 ether);
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        _proveA();
        vm.prank(challenger);
        oracle.deleteL2Outputs(0);
        Types.OutputRootProof memory other = _vectorOutput();
        other.stateRoot = keccak256("honest state");
        _propose(other, ProofVectors.BLOCK_NUMBER);
        vm.warp(block.timestamp + WINDOW);
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        vm.expectRevert(
            abi.encodeWithSelector(
                OpenPortal.OutputRootChanged.selector,
                Hashing.hashOutputRootProof(_vectorOutput()),
                Hashing.hashOutputRootProof(other)
            )
        );
        portal.finalizeWithdrawalTransaction(wtx);
    }

    function test_Reprove_AfterOutputReproposed() public {
        _deposit(10 ether);
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        uint256 firstProof = block.timestamp;
        _proveA();
        // The challenger deletes the output, and the same root is proposed again later.
        vm.warp(firstProof + 1 days);
        vm.prank(challenger);
        oracle.deleteL2Outputs(0);
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        uint256 reproposed = block.timestamp;
        vm.warp(firstProof + WINDOW);
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.ProofPredatesOutput.selector, firstProof, reproposed));
        portal.finalizeWithdrawalTransaction(wtx);

        // The old proof no longer stands, so proving again is allowed and restarts the window.
        _proveA();
        (, uint128 ts,) = portal.provenWithdrawals(ProofVectors.WITHDRAWAL_A_HASH);
        assertEq(uint256(ts), firstProof + WINDOW);
        vm.warp(firstProof + 2 * WINDOW);
        portal.finalizeWithdrawalTransaction(wtx);
        assertEq(token.balanceOf(wtx.target), wtx.value);
    }

    function test_Reprove_AfterOutputDeleted_AgainstALaterOutput() public {
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        _proveA();
        vm.prank(challenger);
        oracle.deleteL2Outputs(0);
        // A later output (index 0 again, later L2 block) commits to the same passer storage.
        Types.OutputRootProof memory later = _vectorOutput();
        later.latestBlockhash = keccak256("block 3");
        _propose(later, ProofVectors.BLOCK_NUMBER + 1);
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        portal.proveWithdrawalTransaction(wtx, 0, later, ProofVectors.withdrawalAProof());
        (bytes32 root,,) = portal.provenWithdrawals(ProofVectors.WITHDRAWAL_A_HASH);
        assertEq(root, Hashing.hashOutputRootProof(later));
    }

    function test_Finalize_RevertWhen_PortalLacksOpen_ThenRetry() public {
        // Only 1 wei locked: the transfer fails, nothing is marked, and a later retry pays.
        _deposit(1);
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        _proveA();
        vm.warp(block.timestamp + WINDOW);
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, address(portal), 1, wtx.value)
        );
        portal.finalizeWithdrawalTransaction(wtx);
        assertFalse(portal.finalizedWithdrawals(ProofVectors.WITHDRAWAL_A_HASH));
        _deposit(1 ether);
        portal.finalizeWithdrawalTransaction(wtx);
        assertEq(token.balanceOf(wtx.target), wtx.value);
    }

    function test_Finalize_RevertWhen_OracleSaysNotFinal() public {
        ManualOracle manual = new ManualOracle();
        OpenPortal p = new OpenPortal(admin, IERC20(address(token)), manual, guardian);
        vm.prank(alice);
        token.transfer(address(p), 1 ether);
        manual.set(Hashing.hashOutputRootProof(_vectorOutput()), false);
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        p.proveWithdrawalTransaction(wtx, 0, _vectorOutput(), ProofVectors.withdrawalAProof());
        vm.warp(block.timestamp + 1 days);
        vm.expectRevert(abi.encodeWithSelector(OpenPortal.OutputNotFinalized.selector, 0));
        p.finalizeWithdrawalTransaction(wtx);
        assertFalse(p.isFinalizable(ProofVectors.WITHDRAWAL_A_HASH));
    }

    function testFuzz_Finalize_OnlyAfterWindow(uint256 wait) public {
        wait = bound(wait, 0, 2 * WINDOW);
        _deposit(1 ether);
        _propose(_vectorOutput(), ProofVectors.BLOCK_NUMBER);
        _proveA();
        uint256 provenAt = block.timestamp;
        vm.warp(provenAt + wait);
        Types.WithdrawalTransaction memory wtx = ProofVectors.withdrawalA();
        if (wait < WINDOW) {
            vm.expectRevert(abi.encodeWithSelector(OpenPortal.ChallengeWindowNotElapsed.selector, provenAt + WINDOW));
            portal.finalizeWithdrawalTransaction(wtx);
        } else {
            portal.finalizeWithdrawalTransaction(wtx);
            assertEq(token.balanceOf(wtx.target), wtx.value);
        }
    }

    function testFuzz_SyntheticWithdrawal_ProveAndFinalize(
        uint256 nonce,
        address sender,
        address target,
        uint256 value,
        uint256 gasLimit,
        bytes calldata data
    ) public {
        vm.assume(target != address(0) && target != address(portal) && target != alice);
        value = bound(value, 0, 1_000 ether);
        Types.WithdrawalTransaction memory wtx = Types.WithdrawalTransaction({
            nonce: nonce, sender: sender, target: target, value: value, gasLimit: gasLimit, data: data
        });
        _deposit(1_000 ether);
        (Types.OutputRootProof memory p, bytes[] memory proof) = _syntheticOutput(wtx, hex"01");
        uint256 index = _propose(p, 1);
        portal.proveWithdrawalTransaction(wtx, index, p, proof);
        vm.warp(block.timestamp + WINDOW);
        portal.finalizeWithdrawalTransaction(wtx);
        assertEq(token.balanceOf(target), value);
        assertEq(token.balanceOf(address(portal)), 1_000 ether - value);
    }
}
