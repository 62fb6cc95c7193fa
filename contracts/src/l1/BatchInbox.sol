// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @notice What the inbox keeps per L2 batch.
struct BatchRecord {
    bytes32 certificateHash; // hash of the DA certificate; zero for an L1-fallback batch
    bytes32 dataHash; // hash of the batch data (for fallback: keccak256 of the posted frames)
    uint64 l1Block; // L1 block in which the batch was recorded
    uint64 timestamp; // L1 timestamp of that block
    bool fallbackToL1; // true when the data was posted as calldata instead of to DA
}

/// @title BatchInbox
/// @notice The L1 record of the batcher's L2 batches, in strict index order from 0. A batch
/// normally goes to the DA layer and only its certificate hash and data hash land here
/// (`recordBatch`); when DA is unavailable the batcher posts the frames themselves as
/// calldata (`postBatchData`), so L1 carries the data and this contract records its hash.
/// @dev The frames of a fallback batch are not stored (that would cost 20k gas a word): they
/// stay in the transaction's calldata, which every L1 node keeps, and the derivation side
/// reads them from there and checks them against `dataHash`. Strict sequencing means one
/// index can never name two batches and the derivation side can detect gaps by index alone.
contract BatchInbox is AccessControl {
    /// @notice Role allowed to record and post batches (the batcher).
    bytes32 public constant BATCHER_ROLE = keccak256("BATCHER_ROLE");

    /// @dev Records by batch index; indexes below `_nextBatchIndex` are recorded.
    mapping(uint256 batchIndex => BatchRecord) private _batches;
    /// @dev The index the next batch must carry.
    uint256 private _nextBatchIndex;

    /// @notice A batch was recorded.
    /// @param batchIndex Its index (sequential from 0).
    /// @param certificateHash Hash of its DA certificate; zero when `fallbackToL1`.
    /// @param dataHash Hash of its data.
    /// @param fallbackToL1 True when the data was posted to L1 as calldata.
    event BatchRecorded(
        uint256 indexed batchIndex, bytes32 indexed certificateHash, bytes32 dataHash, bool fallbackToL1
    );

    /// @notice The admin passed to the constructor was the zero address.
    error ZeroAdmin();
    /// @notice The batcher passed to the constructor was the zero address.
    error ZeroBatcher();
    /// @notice `batchIndex` was already recorded.
    /// @param batchIndex The duplicate index.
    /// @param nextBatchIndex The index expected next.
    error BatchAlreadyRecorded(uint256 batchIndex, uint256 nextBatchIndex);
    /// @notice `batchIndex` skips over unrecorded indexes.
    /// @param batchIndex The index given.
    /// @param nextBatchIndex The index expected next.
    error BatchIndexGap(uint256 batchIndex, uint256 nextBatchIndex);
    /// @notice A DA batch needs a non-zero certificate hash (zero marks the fallback path).
    error EmptyCertificateHash();
    /// @notice The data hash must be non-zero.
    error EmptyDataHash();
    /// @notice A fallback batch must carry at least one byte of frames.
    error EmptyBatchData();
    /// @notice No batch has been recorded at `batchIndex`.
    /// @param batchIndex The requested index.
    error BatchNotFound(uint256 batchIndex);

    /// @notice Deploys the inbox and grants its roles.
    /// @param admin Holder of `DEFAULT_ADMIN_ROLE` (manages `BATCHER_ROLE`).
    /// @param batcher First holder of `BATCHER_ROLE`.
    constructor(address admin, address batcher) {
        if (admin == address(0)) revert ZeroAdmin();
        if (batcher == address(0)) revert ZeroBatcher();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(BATCHER_ROLE, batcher);
    }

    /// @notice Records a batch whose data went to the DA layer (batcher only).
    /// @param batchIndex Must equal `nextBatchIndex()`.
    /// @param certificateHash Hash of the DA certificate; non-zero.
    /// @param dataHash Hash of the batch data; non-zero.
    function recordBatch(uint256 batchIndex, bytes32 certificateHash, bytes32 dataHash)
        external
        onlyRole(BATCHER_ROLE)
    {
        if (certificateHash == bytes32(0)) revert EmptyCertificateHash();
        if (dataHash == bytes32(0)) revert EmptyDataHash();
        _record(batchIndex, certificateHash, dataHash, false);
    }

    /// @notice L1 fallback: posts a batch's frames as calldata and records `keccak256(frames)`
    /// as its data hash with a zero certificate hash (batcher only).
    /// @param batchIndex Must equal `nextBatchIndex()`.
    /// @param frames The batch's frames (OP frame format), non-empty.
    function postBatchData(uint256 batchIndex, bytes calldata frames) external onlyRole(BATCHER_ROLE) {
        if (frames.length == 0) revert EmptyBatchData();
        _record(batchIndex, bytes32(0), keccak256(frames), true);
    }

    /// @notice The record of batch `batchIndex`; reverts with `BatchNotFound` if not recorded.
    /// @param batchIndex The batch index.
    /// @return The record.
    function batch(uint256 batchIndex) external view returns (BatchRecord memory) {
        if (batchIndex >= _nextBatchIndex) revert BatchNotFound(batchIndex);
        return _batches[batchIndex];
    }

    /// @notice The index the next batch must carry (= number of batches recorded).
    /// @return The next batch index.
    function nextBatchIndex() external view returns (uint256) {
        return _nextBatchIndex;
    }

    /// @dev Enforces strict sequencing, stores the record and emits `BatchRecorded`.
    function _record(uint256 batchIndex, bytes32 certificateHash, bytes32 dataHash, bool fallbackToL1) private {
        uint256 expected = _nextBatchIndex;
        if (batchIndex < expected) revert BatchAlreadyRecorded(batchIndex, expected);
        if (batchIndex > expected) revert BatchIndexGap(batchIndex, expected);
        _batches[batchIndex] = BatchRecord({
            certificateHash: certificateHash,
            dataHash: dataHash,
            l1Block: uint64(block.number),
            timestamp: uint64(block.timestamp),
            fallbackToL1: fallbackToL1
        });
        _nextBatchIndex = expected + 1;
        emit BatchRecorded(batchIndex, certificateHash, dataHash, fallbackToL1);
    }
}
