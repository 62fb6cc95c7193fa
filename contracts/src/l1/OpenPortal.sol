// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IL2OutputOracle, OutputProposal} from "../interfaces/IL2OutputOracle.sol";
import {Hashing} from "../libraries/Hashing.sol";
import {MerkleTrie} from "../libraries/MerkleTrie.sol";
import {RLPReader} from "../libraries/RLPReader.sol";
import {Types} from "../libraries/Types.sol";

/// @title OpenPortal
/// @notice The L1 end of the OpenLedger bridge, after the OP Stack's OptimismPortal, with OPEN
/// (an ERC20 on L1) as the L2's native gas coin.
/// - Deposits: `depositOPEN` locks OPEN here and emits OP's `TransactionDeposited` event; the
///   L2 derivation turns it into a deposit transaction that mints `amount` native OPEN to the
///   (aliased) sender and sends it to `to`.
/// - Withdrawals: `proveWithdrawalTransaction` checks a Merkle-Patricia proof that the L2
///   `L2ToL1MessagePasser` recorded the withdrawal, under an output root from the
///   `L2OutputOracle`; once the challenge window has passed since the proof (and the output is
///   final and unchanged), `finalizeWithdrawalTransaction` releases `value` locked OPEN to
///   `target`. See docs/withdrawals.md for what is verified and what is trusted.
/// @dev Withdrawals are value-only: the portal transfers OPEN and never calls `target` with
/// `data`. An arbitrary call from the contract holding every locked OPEN is the classic bridge
/// drain (e.g. a withdrawal whose target is the token and whose data is `transfer`); OpenLedger
/// has no L1 messenger that needs calls, so `gasLimit` and `data` are only hashed, which keeps
/// withdrawal hashes identical to OP's. No ETH is accepted: there is no receive/fallback and
/// no function is payable. Not upgradeable.
contract OpenPortal is AccessControl, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Role that may pause and unpause deposits and withdrawals.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice Version of the `TransactionDeposited` opaqueData layout (OP's version 0).
    uint256 public constant DEPOSIT_VERSION = 0;
    /// @notice Offset added to a contract sender's address on L2 (OP/Arbitrum aliasing), so that
    /// an L1 contract cannot impersonate the L2 account with the same address.
    uint160 public constant L1_TO_L2_ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);
    /// @notice Most gas a deposit may ask for on L2 (OP's default resource limit per block), so
    /// one deposit cannot take a whole L2 block.
    uint64 public constant MAX_DEPOSIT_GAS_LIMIT = 20_000_000;
    /// @notice Most calldata bytes a deposit may carry (OP's limit), bounding L1 log size and
    /// L2 work.
    uint256 public constant MAX_DEPOSIT_DATA_LENGTH = 120_000;

    /// @notice The OPEN token locked for deposits and released by withdrawals.
    IERC20 public immutable openToken;
    /// @notice Where output roots come from.
    IL2OutputOracle public immutable oracle;

    /// @notice A withdrawal proven against an output.
    struct ProvenWithdrawal {
        bytes32 outputRoot; // the output root it was proven against
        uint128 timestamp; // L1 time of the proof; the challenge window restarts here
        uint128 l2OutputIndex; // the oracle index of that output
    }

    /// @notice Proofs by withdrawal hash (zero timestamp: not proven).
    mapping(bytes32 withdrawalHash => ProvenWithdrawal) public provenWithdrawals;
    /// @notice Finalised withdrawals (replay protection).
    mapping(bytes32 withdrawalHash => bool) public finalizedWithdrawals;

    /// @notice A deposit to L2 (OP's event). The L2 derivation reads `opaqueData` as
    /// `abi.encodePacked(uint256 mint, uint256 value, uint64 gasLimit, bool isCreation, bytes data)`.
    /// @param from The sender, aliased if it is a contract.
    /// @param to The L2 recipient.
    /// @param version The opaqueData layout version (0).
    /// @param opaqueData The packed deposit fields.
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
    /// @notice A withdrawal was proven (OP's event).
    /// @param withdrawalHash The withdrawal hash.
    /// @param from The L2 sender of the withdrawal.
    /// @param to The L1 target of the withdrawal.
    event WithdrawalProven(bytes32 indexed withdrawalHash, address indexed from, address indexed to);
    /// @notice A withdrawal was finalised (OP's event). `success` is always true here: the
    /// OPEN transfer either succeeds or the whole finalisation reverts and can be retried.
    /// @param withdrawalHash The withdrawal hash.
    /// @param success Whether the OPEN was released.
    event WithdrawalFinalized(bytes32 indexed withdrawalHash, bool success);

    /// @notice A constructor address argument was zero.
    /// @param what Which one: "admin", "openToken", "oracle" or "guardian".
    error ZeroAddress(string what);
    /// @notice A deposit of zero OPEN. Deposits buy no L1 resources here, so zero-value
    /// deposits would be free L2 spam.
    error ZeroAmount();
    /// @notice A deposit to address(0): there is no contract-creation deposit, so the coins
    /// would be lost.
    error ZeroRecipient();
    /// @notice The deposit's gas limit is below the intrinsic cost of its calldata.
    /// @param gasLimit The requested gas limit.
    /// @param minimum `minimumGasLimit(data.length)`.
    error GasLimitTooLow(uint64 gasLimit, uint64 minimum);
    /// @notice The deposit's gas limit is above `MAX_DEPOSIT_GAS_LIMIT`.
    /// @param gasLimit The requested gas limit.
    /// @param maximum `MAX_DEPOSIT_GAS_LIMIT`.
    error GasLimitTooHigh(uint64 gasLimit, uint64 maximum);
    /// @notice The deposit's data is longer than `MAX_DEPOSIT_DATA_LENGTH`.
    /// @param length The data length.
    /// @param maximum `MAX_DEPOSIT_DATA_LENGTH`.
    error DepositDataTooLarge(uint256 length, uint256 maximum);
    /// @notice The oracle has no live output at this index (never proposed or deleted).
    /// @param l2OutputIndex The index.
    error OutputUnavailable(uint256 l2OutputIndex);
    /// @notice The output root proof does not hash to the oracle's output root.
    /// @param expected The oracle's output root.
    /// @param actual The hash of the given proof.
    error InvalidOutputRootProof(bytes32 expected, bytes32 actual);
    /// @notice The withdrawal is already proven against an output that is still live.
    /// @param withdrawalHash The withdrawal hash.
    error WithdrawalAlreadyProven(bytes32 withdrawalHash);
    /// @notice The proven storage slot holds zero, so the withdrawal was not sent.
    /// @param withdrawalHash The withdrawal hash.
    error WithdrawalNotSent(bytes32 withdrawalHash);
    /// @notice The withdrawal has not been proven.
    /// @param withdrawalHash The withdrawal hash.
    error WithdrawalNotProven(bytes32 withdrawalHash);
    /// @notice The withdrawal has already been finalised.
    /// @param withdrawalHash The withdrawal hash.
    error WithdrawalAlreadyFinalized(bytes32 withdrawalHash);
    /// @notice The output the withdrawal was proven against has been replaced by another root.
    /// @param proven The root it was proven against.
    /// @param current The oracle's root at that index now.
    error OutputRootChanged(bytes32 proven, bytes32 current);
    /// @notice The proof is older than the output now at its index (the output was deleted and
    /// re-proposed after the proof), so it must be proven again.
    /// @param provenAt The proof's timestamp.
    /// @param proposedAt The output's proposal timestamp.
    error ProofPredatesOutput(uint256 provenAt, uint256 proposedAt);
    /// @notice The challenge window has not passed since the proof.
    /// @param finalizableAt When it will have.
    error ChallengeWindowNotElapsed(uint256 finalizableAt);
    /// @notice The oracle does not report the output as final yet.
    /// @param l2OutputIndex The output index.
    error OutputNotFinalized(uint256 l2OutputIndex);

    /// @notice Deploys the portal.
    /// @param admin Holder of `DEFAULT_ADMIN_ROLE` (manages guardians).
    /// @param openToken_ The OPEN token.
    /// @param oracle_ The L2 output oracle.
    /// @param guardian First holder of `GUARDIAN_ROLE`.
    constructor(address admin, IERC20 openToken_, IL2OutputOracle oracle_, address guardian) {
        if (admin == address(0)) revert ZeroAddress("admin");
        if (address(openToken_) == address(0)) revert ZeroAddress("openToken");
        if (address(oracle_) == address(0)) revert ZeroAddress("oracle");
        if (guardian == address(0)) revert ZeroAddress("guardian");
        openToken = openToken_;
        oracle = oracle_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, guardian);
    }

    // ------------------------------------------------------------------ deposits

    /// @notice Locks `amount` OPEN (the caller must have approved the portal) and deposits it
    /// to `to` on L2 as native OPEN, optionally calling `to` with `data`.
    /// @param to The L2 recipient (non-zero).
    /// @param amount OPEN to lock and mint on L2 (non-zero, wei units).
    /// @param gasLimit L2 gas for the deposit, in `[minimumGasLimit(data.length), MAX_DEPOSIT_GAS_LIMIT]`.
    /// @param data L2 calldata for `to` (at most `MAX_DEPOSIT_DATA_LENGTH` bytes).
    function depositOPEN(address to, uint256 amount, uint64 gasLimit, bytes calldata data)
        external
        whenNotPaused
        nonReentrant
    {
        if (to == address(0)) revert ZeroRecipient();
        if (amount == 0) revert ZeroAmount();
        if (data.length > MAX_DEPOSIT_DATA_LENGTH) revert DepositDataTooLarge(data.length, MAX_DEPOSIT_DATA_LENGTH);
        uint64 minimum = minimumGasLimit(uint64(data.length));
        if (gasLimit < minimum) revert GasLimitTooLow(gasLimit, minimum);
        if (gasLimit > MAX_DEPOSIT_GAS_LIMIT) revert GasLimitTooHigh(gasLimit, MAX_DEPOSIT_GAS_LIMIT);

        // A contract caller is aliased so that it cannot act as the L2 account at its own
        // address; `msg.sender != tx.origin` also catches contracts still in their constructor.
        address from = msg.sender;
        if (msg.sender != tx.origin) from = applyL1ToL2Alias(msg.sender);

        // Lock first, so the deposit event is only ever emitted for OPEN the portal holds.
        openToken.safeTransferFrom(msg.sender, address(this), amount);

        // mint = value = amount: the L2 mints `amount` to `from`, which sends it on to `to`.
        bytes memory opaqueData = abi.encodePacked(amount, amount, gasLimit, false, data);
        emit TransactionDeposited(from, to, DEPOSIT_VERSION, opaqueData);
    }

    /// @notice The least gas a deposit with `byteCount` bytes of data may ask for: the intrinsic
    /// gas of a transaction carrying that calldata at the non-zero byte price (OP's rule).
    /// @param byteCount Length of the deposit data.
    /// @return 21_000 + 16 * byteCount.
    function minimumGasLimit(uint64 byteCount) public pure returns (uint64) {
        return byteCount * 16 + 21_000;
    }

    /// @notice The L2 address an L1 contract appears as in deposits.
    /// @param l1Address The L1 address.
    /// @return l2Address `l1Address + L1_TO_L2_ALIAS_OFFSET`, wrapping modulo 2**160.
    function applyL1ToL2Alias(address l1Address) public pure returns (address l2Address) {
        unchecked {
            l2Address = address(uint160(l1Address) + L1_TO_L2_ALIAS_OFFSET);
        }
    }

    // --------------------------------------------------------------- withdrawals

    /// @notice Proves that `wtx` was initiated on L2, against output `l2OutputIndex`. Starts
    /// (or, if that output was deleted or replaced, restarts) the challenge window for it.
    /// @param wtx The withdrawal, as emitted in `MessagePassed` on L2.
    /// @param l2OutputIndex The oracle index of an output at or after the withdrawal's L2 block.
    /// @param outputRootProof The preimage of that output root.
    /// @param withdrawalProof Storage-trie proof (`eth_getProof(passer, [slot]).storageProof[0].proof`)
    /// of slot `keccak256(abi.encode(withdrawalHash, uint256(0)))` under
    /// `outputRootProof.messagePasserStorageRoot`.
    function proveWithdrawalTransaction(
        Types.WithdrawalTransaction memory wtx,
        uint256 l2OutputIndex,
        Types.OutputRootProof memory outputRootProof,
        bytes[] memory withdrawalProof
    ) external whenNotPaused {
        bytes32 withdrawalHash = Hashing.hashWithdrawal(wtx);
        if (finalizedWithdrawals[withdrawalHash]) revert WithdrawalAlreadyFinalized(withdrawalHash);

        // 1. The output root proof must open the oracle's output root.
        OutputProposal memory output = _getOutput(l2OutputIndex);
        bytes32 actual = Hashing.hashOutputRootProof(outputRootProof);
        if (actual != output.outputRoot) revert InvalidOutputRootProof(output.outputRoot, actual);

        // 2. A proof may only be replaced once it can no longer be finalised (its output was
        // deleted, replaced, or re-proposed after it); otherwise anyone could keep resetting
        // someone else's challenge window.
        if (_proofStillStands(provenWithdrawals[withdrawalHash])) revert WithdrawalAlreadyProven(withdrawalHash);

        // 3. The message passer's storage must hold a non-zero word at sentMessages[hash].
        bytes32 slot = Hashing.withdrawalStorageSlot(withdrawalHash);
        bytes memory encodedWord =
            MerkleTrie.getSecure(abi.encode(slot), withdrawalProof, outputRootProof.messagePasserStorageRoot);
        if (!_isNonZero(RLPReader.readBytes(encodedWord))) revert WithdrawalNotSent(withdrawalHash);

        // Lossless: a live output index is below the oracle's output count.
        // forge-lint: disable-next-line(unsafe-typecast)
        uint128 index = uint128(l2OutputIndex);
        provenWithdrawals[withdrawalHash] = ProvenWithdrawal({
            outputRoot: output.outputRoot, timestamp: uint128(block.timestamp), l2OutputIndex: index
        });
        emit WithdrawalProven(withdrawalHash, wtx.sender, wtx.target);
    }

    /// @notice Releases `wtx.value` OPEN to `wtx.target` once the withdrawal's proof has aged a
    /// full challenge window and its output is final and unchanged. Each withdrawal is paid once.
    /// @param wtx The proven withdrawal.
    function finalizeWithdrawalTransaction(Types.WithdrawalTransaction memory wtx) external whenNotPaused nonReentrant {
        bytes32 withdrawalHash = Hashing.hashWithdrawal(wtx);
        if (finalizedWithdrawals[withdrawalHash]) revert WithdrawalAlreadyFinalized(withdrawalHash);
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        if (proven.timestamp == 0) revert WithdrawalNotProven(withdrawalHash);

        // The output must still be the one proven against: the challenger may have deleted it
        // (and the proposer may have put another root, or the same root later, at its index).
        OutputProposal memory output = _getOutput(proven.l2OutputIndex);
        if (output.outputRoot != proven.outputRoot) revert OutputRootChanged(proven.outputRoot, output.outputRoot);
        if (proven.timestamp < output.timestamp) revert ProofPredatesOutput(proven.timestamp, output.timestamp);

        uint256 finalizableAt = uint256(proven.timestamp) + oracle.challengeWindow();
        // A window of days dwarfs the seconds a block producer can skew timestamps by.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < finalizableAt) revert ChallengeWindowNotElapsed(finalizableAt);
        if (!oracle.isFinalized(proven.l2OutputIndex)) revert OutputNotFinalized(proven.l2OutputIndex);

        finalizedWithdrawals[withdrawalHash] = true;
        openToken.safeTransfer(wtx.target, wtx.value);
        emit WithdrawalFinalized(withdrawalHash, true);
    }

    /// @notice Whether a withdrawal may be finalised now (view helper for clients).
    /// @param withdrawalHash The withdrawal hash.
    /// @return True if `finalizeWithdrawalTransaction` would pass its proof and timing checks.
    function isFinalizable(bytes32 withdrawalHash) external view returns (bool) {
        if (finalizedWithdrawals[withdrawalHash]) return false;
        ProvenWithdrawal memory proven = provenWithdrawals[withdrawalHash];
        if (!_proofStillStands(proven)) return false;
        // forge-lint: disable-next-line(block-timestamp)
        return block.timestamp >= uint256(proven.timestamp) + oracle.challengeWindow()
            && oracle.isFinalized(proven.l2OutputIndex);
    }

    // ------------------------------------------------------------------- guardian

    /// @notice Pauses deposits, proofs and finalisations (guardian only).
    function pause() external onlyRole(GUARDIAN_ROLE) {
        _pause();
    }

    /// @notice Resumes deposits, proofs and finalisations (guardian only).
    function unpause() external onlyRole(GUARDIAN_ROLE) {
        _unpause();
    }

    // ------------------------------------------------------------------- internals

    /// @dev Whether a recorded proof can still lead to finalisation: it exists, and the output
    /// it was proven against is still live at its index, with the same root, proposed no later
    /// than the proof.
    function _proofStillStands(ProvenWithdrawal memory proven) private view returns (bool) {
        if (proven.timestamp == 0) return false;
        (bool live, OutputProposal memory output) = _tryGetOutput(proven.l2OutputIndex);
        return live && output.outputRoot == proven.outputRoot && output.timestamp <= proven.timestamp;
    }

    /// @dev The live output at `index`, or a revert with `OutputUnavailable`.
    function _getOutput(uint256 index) private view returns (OutputProposal memory output) {
        bool live;
        (live, output) = _tryGetOutput(index);
        if (!live) revert OutputUnavailable(index);
    }

    /// @dev The oracle reverts for an index that was never proposed or was deleted; that is
    /// turned into `live == false` rather than bubbled up.
    function _tryGetOutput(uint256 index) private view returns (bool live, OutputProposal memory output) {
        try oracle.getL2Output(index) returns (OutputProposal memory o) {
            return (true, o);
        } catch {
            return (false, output);
        }
    }

    /// @dev Whether a storage word (big-endian, leading zeros stripped by RLP) is non-zero.
    function _isNonZero(bytes memory word) private pure returns (bool) {
        for (uint256 i = 0; i < word.length; ++i) {
            if (word[i] != 0) return true;
        }
        return false;
    }
}
