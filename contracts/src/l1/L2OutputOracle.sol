// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IL2OutputOracle, OutputProposal} from "../interfaces/IL2OutputOracle.sol";

/// @title L2OutputOracle
/// @notice Holds the L2 output roots the proposer posts on L1, in the spirit of the OP Stack
/// contract of the same name. `OpenPortal` proves withdrawals against these roots once they
/// are finalised, i.e. once their challenge window has passed; until then the challenger may
/// delete an output together with every output after it.
/// @dev Rules (each one a custom error):
/// - Proposals use OP's signature `proposeL2Output(bytes32,uint256,bytes32,uint256)`: the
///   fourth argument is the L1 block number whose hash `l1BlockHash` is checked against with
///   `blockhash()`, as OP does when `l1BlockHash` is non-zero. It ties a proposal to an L1
///   fork so that a reorg invalidates it. Zero skips the check.
/// - L2 block numbers sit on a grid: `l2BlockNumber > latestBlockNumber()` and
///   `(l2BlockNumber - startingBlockNumber) % submissionInterval == 0`. Unlike OP (exactly
///   `latest + interval`), the proposer may skip grid points, so a stalled proposer catches up
///   with one proposal. With `submissionInterval == 1` the rule is "greater than the last".
/// - OP's "not in the future" check on L2 timestamps is left out: it needs the L2 genesis
///   time and block time on L1, which this chain does not fix.
/// - The challenge window is immutable. Changing it would move the finalisation time of
///   outputs already proposed (and of withdrawals being proven against them), and a role able
///   to shorten it could finalise a bad root; a new window means a new oracle.
/// - Outputs live in a mapping indexed by position plus a length counter, so deleting any
///   number of outputs costs O(1) (OP sets the array length in assembly to the same effect).
contract L2OutputOracle is IL2OutputOracle, AccessControl {
    /// @notice Role allowed to propose output roots.
    bytes32 public constant PROPOSER_ROLE = keccak256("PROPOSER_ROLE");
    /// @notice Role allowed to delete outputs that are still inside their challenge window.
    bytes32 public constant CHALLENGER_ROLE = keccak256("CHALLENGER_ROLE");

    /// @notice Seconds after a proposal during which it can be deleted; immutable (see above).
    uint256 public immutable challengeWindow;
    /// @notice The L2 block the chain starts from; the first output must be above it.
    uint256 public immutable startingBlockNumber;
    /// @notice L2 block numbers of outputs are multiples of this past `startingBlockNumber`.
    uint256 public immutable submissionInterval;

    /// @dev Proposals by index; entries at or past `_nextOutputIndex` are stale (deleted).
    mapping(uint256 index => OutputProposal) private _outputs;
    /// @dev Number of live proposals.
    uint256 private _nextOutputIndex;

    /// @notice A new output root was proposed (OP's event, same layout).
    /// @param outputRoot The output root.
    /// @param l2OutputIndex Its index.
    /// @param l2BlockNumber The L2 block it commits to.
    /// @param l1Timestamp L1 time of the proposal; the window starts here.
    event OutputProposed(
        bytes32 indexed outputRoot, uint256 indexed l2OutputIndex, uint256 indexed l2BlockNumber, uint256 l1Timestamp
    );

    /// @notice The challenger deleted outputs `[newNextOutputIndex, prevNextOutputIndex)`
    /// (OP's event, same layout).
    /// @param prevNextOutputIndex The number of outputs before the deletion.
    /// @param newNextOutputIndex The number of outputs after it.
    event OutputsDeleted(uint256 indexed prevNextOutputIndex, uint256 indexed newNextOutputIndex);

    /// @notice A constructor address argument was zero.
    /// @param what Which one: "admin", "proposer" or "challenger".
    error ZeroAddress(string what);
    /// @notice The challenge window must be in `[1, type(uint64).max]` seconds (zero would let
    /// every root finalise unchallenged; the bound keeps `timestamp + window` far from overflow).
    /// @param challengeWindowSeconds The rejected value.
    error InvalidChallengeWindow(uint256 challengeWindowSeconds);
    /// @notice The submission interval must be non-zero.
    error InvalidSubmissionInterval();
    /// @notice The starting block number does not fit the uint128 the proposals store.
    /// @param startingBlockNumber The rejected value.
    error InvalidStartingBlockNumber(uint256 startingBlockNumber);
    /// @notice An empty (zero) output root was proposed.
    error EmptyOutputRoot();
    /// @notice The L2 block number is not above the latest one, is off the submission grid,
    /// or does not fit in uint128.
    /// @param l2BlockNumber The proposed block number.
    /// @param latestBlockNumber The latest proposed (or starting) block number.
    error InvalidL2BlockNumber(uint256 l2BlockNumber, uint256 latestBlockNumber);
    /// @notice `blockhash(l1BlockNumber)` is not `l1BlockHash` (an L1 reorg, a block older than
    /// 256 blocks, or the current/a future block).
    /// @param l1BlockNumber The L1 block named by the proposer.
    /// @param expected The hash the proposer gave.
    /// @param actual What `blockhash` returned.
    error L1BlockHashMismatch(uint256 l1BlockNumber, bytes32 expected, bytes32 actual);
    /// @notice No live output at `index` (never proposed, or deleted).
    /// @param index The requested index.
    error OutputNotFound(uint256 index);
    /// @notice No output has been proposed yet (or all were deleted).
    error NoOutputs();
    /// @notice No output commits to `l2BlockNumber` or a later block.
    /// @param l2BlockNumber The requested L2 block number.
    /// @param latestBlockNumber The latest proposed L2 block number.
    error NoOutputAtOrAfter(uint256 l2BlockNumber, uint256 latestBlockNumber);
    /// @notice The output's challenge window has passed: it is final and cannot be deleted.
    /// @param index The output index.
    /// @param finalizationTime When it became final.
    error OutputAlreadyFinalized(uint256 index, uint256 finalizationTime);

    /// @notice Deploys the oracle and grants its roles.
    /// @param admin Holder of `DEFAULT_ADMIN_ROLE` (manages the proposer and challenger roles).
    /// @param proposer First holder of `PROPOSER_ROLE`.
    /// @param challenger First holder of `CHALLENGER_ROLE`.
    /// @param challengeWindowSeconds The immutable challenge window, in seconds.
    /// @param startingBlockNumber_ The L2 block the chain starts from.
    /// @param submissionInterval_ The grid step of proposable L2 block numbers.
    constructor(
        address admin,
        address proposer,
        address challenger,
        uint256 challengeWindowSeconds,
        uint256 startingBlockNumber_,
        uint256 submissionInterval_
    ) {
        if (admin == address(0)) revert ZeroAddress("admin");
        if (proposer == address(0)) revert ZeroAddress("proposer");
        if (challenger == address(0)) revert ZeroAddress("challenger");
        if (challengeWindowSeconds == 0 || challengeWindowSeconds > type(uint64).max) {
            revert InvalidChallengeWindow(challengeWindowSeconds);
        }
        if (submissionInterval_ == 0) revert InvalidSubmissionInterval();
        if (startingBlockNumber_ > type(uint128).max) revert InvalidStartingBlockNumber(startingBlockNumber_);
        challengeWindow = challengeWindowSeconds;
        startingBlockNumber = startingBlockNumber_;
        submissionInterval = submissionInterval_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PROPOSER_ROLE, proposer);
        _grantRole(CHALLENGER_ROLE, challenger);
    }

    /// @notice Proposes the output root of L2 block `l2BlockNumber` (proposer only).
    /// @param outputRoot keccak256(version ‖ state_root ‖ message_passer_storage_root ‖ block_hash); non-zero.
    /// @param l2BlockNumber Above `latestBlockNumber()` and on the submission grid.
    /// @param l1BlockHash If non-zero, must equal `blockhash(l1BlockNumber)`.
    /// @param l1BlockNumber The L1 block whose hash is checked (ignored when `l1BlockHash` is zero).
    function proposeL2Output(bytes32 outputRoot, uint256 l2BlockNumber, bytes32 l1BlockHash, uint256 l1BlockNumber)
        external
        onlyRole(PROPOSER_ROLE)
    {
        if (outputRoot == bytes32(0)) revert EmptyOutputRoot();
        uint256 latest = latestBlockNumber();
        if (
            l2BlockNumber <= latest || (l2BlockNumber - startingBlockNumber) % submissionInterval != 0
                || l2BlockNumber > type(uint128).max
        ) {
            revert InvalidL2BlockNumber(l2BlockNumber, latest);
        }
        if (l1BlockHash != bytes32(0)) {
            bytes32 actual = blockhash(l1BlockNumber);
            if (actual != l1BlockHash) revert L1BlockHashMismatch(l1BlockNumber, l1BlockHash, actual);
        }
        uint256 index = _nextOutputIndex;
        // casting to 'uint128' is safe because l2BlockNumber was checked against type(uint128).max above
        // forge-lint: disable-next-line(unsafe-typecast)
        uint128 l2Block = uint128(l2BlockNumber);
        _outputs[index] =
            OutputProposal({outputRoot: outputRoot, timestamp: uint128(block.timestamp), l2BlockNumber: l2Block});
        _nextOutputIndex = index + 1;
        emit OutputProposed(outputRoot, index, l2BlockNumber, block.timestamp);
    }

    /// @notice Deletes output `fromIndex` and every output after it (challenger only), provided
    /// `fromIndex` is still inside its challenge window. Later outputs were proposed no earlier,
    /// so they are inside theirs too.
    /// @param fromIndex The first output to delete.
    function deleteL2Outputs(uint256 fromIndex) external onlyRole(CHALLENGER_ROLE) {
        uint256 prev = _nextOutputIndex;
        if (fromIndex >= prev) revert OutputNotFound(fromIndex);
        uint256 finalAt = _finalizationTime(fromIndex);
        // The window is hours to days long: the seconds of skew a validator controls do not matter.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp >= finalAt) revert OutputAlreadyFinalized(fromIndex, finalAt);
        _nextOutputIndex = fromIndex;
        emit OutputsDeleted(prev, fromIndex);
    }

    /// @inheritdoc IL2OutputOracle
    function getL2Output(uint256 index) external view returns (OutputProposal memory) {
        if (index >= _nextOutputIndex) revert OutputNotFound(index);
        return _outputs[index];
    }

    /// @inheritdoc IL2OutputOracle
    function nextOutputIndex() external view returns (uint256) {
        return _nextOutputIndex;
    }

    /// @notice Index of the latest live output.
    /// @return The index; reverts with `NoOutputs` when there is none.
    function latestOutputIndex() external view returns (uint256) {
        if (_nextOutputIndex == 0) revert NoOutputs();
        return _nextOutputIndex - 1;
    }

    /// @notice L2 block number of the latest live output, or `startingBlockNumber` if none.
    /// @return The block number the next proposal must exceed.
    function latestBlockNumber() public view returns (uint256) {
        uint256 n = _nextOutputIndex;
        return n == 0 ? startingBlockNumber : _outputs[n - 1].l2BlockNumber;
    }

    /// @notice The smallest grid block number the next proposal may use
    /// (`latestBlockNumber() + submissionInterval`), as in OP.
    /// @return The next expected L2 block number.
    function nextBlockNumber() external view returns (uint256) {
        return latestBlockNumber() + submissionInterval;
    }

    /// @notice Index of the first output whose L2 block number is `>= l2BlockNumber`: the
    /// output a withdrawal made in block `l2BlockNumber` is proven against (binary search).
    /// @param l2BlockNumber The L2 block number.
    /// @return The output index.
    function getL2OutputIndexAfter(uint256 l2BlockNumber) public view returns (uint256) {
        uint256 n = _nextOutputIndex;
        if (n == 0) revert NoOutputs();
        uint256 latest = _outputs[n - 1].l2BlockNumber;
        if (l2BlockNumber > latest) revert NoOutputAtOrAfter(l2BlockNumber, latest);
        uint256 lo = 0;
        uint256 hi = n - 1;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_outputs[mid].l2BlockNumber < l2BlockNumber) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// @notice The first output whose L2 block number is `>= l2BlockNumber`.
    /// @param l2BlockNumber The L2 block number.
    /// @return The proposal.
    function getL2OutputAfter(uint256 l2BlockNumber) external view returns (OutputProposal memory) {
        return _outputs[getL2OutputIndexAfter(l2BlockNumber)];
    }

    /// @notice When output `index` becomes final: its proposal time plus the challenge window.
    /// @param index The output index; reverts with `OutputNotFound` if not live.
    /// @return The finalisation timestamp (seconds).
    function finalizationTime(uint256 index) external view returns (uint256) {
        if (index >= _nextOutputIndex) revert OutputNotFound(index);
        return _finalizationTime(index);
    }

    /// @inheritdoc IL2OutputOracle
    /// @dev Exactly the complement of "deletable": final iff `block.timestamp >= finalizationTime`.
    function isFinalized(uint256 index) external view returns (bool) {
        // Seconds of validator skew are immaterial against the window (see deleteL2Outputs).
        // forge-lint: disable-next-line(block-timestamp)
        return index < _nextOutputIndex && block.timestamp >= _finalizationTime(index);
    }

    function _finalizationTime(uint256 index) private view returns (uint256) {
        return uint256(_outputs[index].timestamp) + challengeWindow;
    }
}
