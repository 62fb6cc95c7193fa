// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title AttributionRewards
/// @notice Proof of Attribution settlement on L2. For each inference the attribution worker
/// records, once, the keccak256 of the attribution evidence and credits each recipient its amount
/// of native OPEN, sent with the call (`sum(amounts) == msg.value`). Recipients later pull their
/// credit with `claim` / `claimTo`: pull rather than push because one settlement credits up to
/// hundreds of addresses, and a single reverting or gas-hungry recipient must not block the
/// others (or the worker's batch).
/// @dev Accounting invariant: `address(this).balance == sum over accounts of claimable(account)`
/// (it can only be larger, by native OPEN forced in without a call). Every settle adds exactly
/// `msg.value` to the credits; every claim removes from the credits exactly what it sends.
///
/// Off-chain conventions (see openledger.attribution.v1): `inferenceId` is the inference's UUIDv7
/// as bytes32 (the 16 UUID bytes left-aligned, zero-padded), `evidenceHash` is keccak256 of the
/// deterministically serialised AttributionEvidence, and the worker lists recipients in
/// ascending address order. The contract does not enforce that order and accepts a repeated
/// address (its credits add up), so the worker may also credit the model owner and the protocol
/// treasury in the same call.
contract AttributionRewards is AccessControl, ReentrancyGuardTransient {
    using SafeCast for uint256;

    /// @notice Role allowed to settle (held by the attribution workers' account).
    bytes32 public constant ATTRIBUTION_ROLE = keccak256("ATTRIBUTION_ROLE");

    /// @notice One inference's settlement, as passed to `settleBatch`.
    /// @param inferenceId The inference (UUIDv7 as bytes32).
    /// @param contributors The recipients credited.
    /// @param amounts Each recipient's credit in wei (same length as `contributors`).
    /// @param evidenceHash keccak256 of the serialised attribution evidence (non-zero).
    struct Settlement {
        bytes32 inferenceId;
        address[] contributors;
        uint256[] amounts;
        bytes32 evidenceHash;
    }

    /// @dev What is kept per settled inference: two storage slots (the hash, then the rest packed).
    struct Record {
        bytes32 evidenceHash; // non-zero once settled: the "is settled" flag
        uint128 total; // <= msg.value, which is bounded by the native supply (far below 2^128)
        uint32 contributorCount;
        uint48 blockNumber;
        uint48 timestamp;
    }

    mapping(bytes32 inferenceId => Record) private _records;
    mapping(address account => uint256) private _claimable;
    mapping(address account => uint256) private _claimed;

    /// @notice An inference was settled.
    /// @param inferenceId The inference.
    /// @param evidenceHash keccak256 of its attribution evidence.
    /// @param total Sum of its credits (wei).
    /// @param contributorCount Number of entries credited.
    event Settled(bytes32 indexed inferenceId, bytes32 indexed evidenceHash, uint256 total, uint256 contributorCount);

    /// @notice A recipient was credited by a settlement (one event per entry, so that a
    /// contributor's credits can be found by filtering on the indexed address).
    /// @param inferenceId The inference.
    /// @param contributor The recipient.
    /// @param amount The credit (wei).
    event Credited(bytes32 indexed inferenceId, address indexed contributor, uint256 amount);

    /// @notice An account claimed its whole credit.
    /// @param account Whose credit was paid.
    /// @param to Who received the native OPEN.
    /// @param amount The amount paid (wei).
    event Claimed(address indexed account, address indexed to, uint256 amount);

    /// @notice The inference was already settled (one settlement per inference id).
    /// @param inferenceId The inference.
    error AlreadySettled(bytes32 inferenceId);

    /// @notice `contributors` and `amounts` have different lengths.
    /// @param inferenceId The inference.
    /// @param contributors Length of `contributors`.
    /// @param amounts Length of `amounts`.
    error LengthMismatch(bytes32 inferenceId, uint256 contributors, uint256 amounts);

    /// @notice A recipient is the zero address.
    /// @param inferenceId The inference.
    /// @param index Its position in `contributors`.
    error ZeroContributor(bytes32 inferenceId, uint256 index);

    /// @notice The evidence hash is zero (every settlement records its evidence).
    /// @param inferenceId The inference.
    error EmptyEvidenceHash(bytes32 inferenceId);

    /// @notice The amounts (of all settlements, for a batch) do not add up to `msg.value`.
    /// @param amountsTotal Their sum (type(uint256).max if it overflows).
    /// @param value The native OPEN sent.
    error ValueMismatch(uint256 amountsTotal, uint256 value);

    /// @notice `settleBatch` was called with no settlement.
    error EmptyBatch();

    /// @notice The account has no credit to claim.
    /// @param account The account.
    error NothingToClaim(address account);

    /// @notice An address argument is zero.
    error ZeroAddress();

    /// @notice Sending native OPEN to the recipient failed.
    /// @param to The recipient.
    /// @param amount The amount that could not be sent.
    error TransferFailed(address to, uint256 amount);

    /// @notice Gives `admin` DEFAULT_ADMIN_ROLE, with which it grants ATTRIBUTION_ROLE.
    /// @param admin The role administrator (the deployer, later the governance timelock).
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- settlement

    /// @notice Records one inference's settlement and credits its recipients.
    /// @param inferenceId The inference (UUIDv7 as bytes32); settled at most once.
    /// @param contributors The recipients (non-zero addresses).
    /// @param amounts Each recipient's credit in wei; they must add up to `msg.value`.
    /// @param evidenceHash keccak256 of the serialised attribution evidence (non-zero).
    function settle(
        bytes32 inferenceId,
        address[] calldata contributors,
        uint256[] calldata amounts,
        bytes32 evidenceHash
    ) external payable onlyRole(ATTRIBUTION_ROLE) {
        uint256 total = _sum(amounts);
        if (total != msg.value) revert ValueMismatch(total, msg.value);
        _settle(inferenceId, contributors, amounts, evidenceHash, total);
    }

    /// @notice Records several settlements in one transaction (the worker's batches): all or
    /// nothing, so one bad entry (e.g. an inference already settled) reverts the whole batch.
    /// @param settlements The settlements; their amounts together must add up to `msg.value`.
    function settleBatch(Settlement[] calldata settlements) external payable onlyRole(ATTRIBUTION_ROLE) {
        uint256 n = settlements.length;
        if (n == 0) revert EmptyBatch();
        // Check the value first, with a saturating sum, so no credit arithmetic can overflow.
        uint256[] memory totals = new uint256[](n);
        uint256 grand;
        for (uint256 i; i < n; ++i) {
            uint256 t = _sum(settlements[i].amounts);
            totals[i] = t;
            grand = _addSaturating(grand, t);
        }
        if (grand != msg.value) revert ValueMismatch(grand, msg.value);
        for (uint256 i; i < n; ++i) {
            Settlement calldata s = settlements[i];
            _settle(s.inferenceId, s.contributors, s.amounts, s.evidenceHash, totals[i]);
        }
    }

    // ---------------------------------------------------------------- claims

    /// @notice Pays the caller's whole credit to the caller.
    /// @return amount The amount paid (wei).
    function claim() external nonReentrant returns (uint256 amount) {
        return _claim(payable(msg.sender));
    }

    /// @notice Pays the caller's whole credit to `to` (e.g. a contract that cannot receive, or
    /// a cold wallet).
    /// @param to The recipient (non-zero).
    /// @return amount The amount paid (wei).
    function claimTo(address payable to) external nonReentrant returns (uint256 amount) {
        if (to == address(0)) revert ZeroAddress();
        return _claim(to);
    }

    // ---------------------------------------------------------------- views

    /// @notice Credit `account` can claim now.
    /// @param account The account.
    /// @return Wei of OPEN.
    function claimable(address account) external view returns (uint256) {
        return _claimable[account];
    }

    /// @notice Total `account` has claimed so far.
    /// @param account The account.
    /// @return Wei of OPEN.
    function claimed(address account) external view returns (uint256) {
        return _claimed[account];
    }

    /// @notice An inference's settlement; all zero when it is not settled.
    /// @param inferenceId The inference.
    /// @return evidenceHash keccak256 of its attribution evidence.
    /// @return total Sum of its credits (wei).
    /// @return contributorCount Number of entries credited.
    /// @return blockNumber L2 block that settled it.
    /// @return timestamp Time of that block.
    function settlement(bytes32 inferenceId)
        external
        view
        returns (bytes32 evidenceHash, uint256 total, uint256 contributorCount, uint256 blockNumber, uint256 timestamp)
    {
        Record storage r = _records[inferenceId];
        return (r.evidenceHash, r.total, r.contributorCount, r.blockNumber, r.timestamp);
    }

    /// @notice Whether the inference has been settled.
    /// @param inferenceId The inference.
    /// @return True once settled.
    function isSettled(bytes32 inferenceId) external view returns (bool) {
        return _records[inferenceId].evidenceHash != bytes32(0);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Records and credits one settlement whose amounts the caller has checked to add up to
    /// `total` (part of `msg.value`).
    function _settle(
        bytes32 inferenceId,
        address[] calldata contributors,
        uint256[] calldata amounts,
        bytes32 evidenceHash,
        uint256 total
    ) private {
        if (evidenceHash == bytes32(0)) revert EmptyEvidenceHash(inferenceId);
        uint256 n = contributors.length;
        if (n != amounts.length) revert LengthMismatch(inferenceId, n, amounts.length);
        Record storage r = _records[inferenceId];
        if (r.evidenceHash != bytes32(0)) revert AlreadySettled(inferenceId);

        r.evidenceHash = evidenceHash;
        r.total = total.toUint128();
        r.contributorCount = n.toUint32();
        r.blockNumber = block.number.toUint48();
        r.timestamp = block.timestamp.toUint48();

        for (uint256 i; i < n; ++i) {
            address c = contributors[i];
            if (c == address(0)) revert ZeroContributor(inferenceId, i);
            uint256 a = amounts[i];
            // Cannot overflow: all credits together are at most this contract's balance.
            unchecked {
                _claimable[c] += a;
            }
            emit Credited(inferenceId, c, a);
        }
        emit Settled(inferenceId, evidenceHash, total, n);
    }

    function _claim(address payable to) private returns (uint256 amount) {
        amount = _claimable[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        // Effects before the interaction (and nonReentrant on the entry points).
        _claimable[msg.sender] = 0;
        _claimed[msg.sender] += amount;
        emit Claimed(msg.sender, to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    /// @dev Sum of `amounts`, saturating at type(uint256).max (which no msg.value can equal), so
    /// that an absurd input ends in ValueMismatch rather than an arithmetic panic.
    function _sum(uint256[] calldata amounts) private pure returns (uint256 s) {
        uint256 n = amounts.length;
        for (uint256 i; i < n; ++i) {
            s = _addSaturating(s, amounts[i]);
        }
    }

    function _addSaturating(uint256 a, uint256 b) private pure returns (uint256) {
        unchecked {
            uint256 c = a + b;
            return c < a ? type(uint256).max : c;
        }
    }
}
