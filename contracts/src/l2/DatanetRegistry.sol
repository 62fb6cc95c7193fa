// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IProtocolParams} from "../interfaces/IProtocolParams.sol";

/// @title DatanetRegistry
/// @notice The L2 record of datanets: who curates each one, how much stake a contributor must
/// hold to contribute, contributors' stakes in native OPEN, the Merkle roots of the datanet's
/// snapshots, and slashes of contributors whose records curation keeps rejecting.
/// @dev Mirrors `openledger.datanet.v1`. A datanet id is keccak256 of the UTF-8 bytes of the
/// datanet id string (`{datanet}` in `datanets/{datanet}`). Snapshot roots follow the merkle
/// scheme "openledger.datanet.merkle.v1" (snapshot.proto): positional leaves, sorted-pair
/// internal nodes, an odd last node carried up unchanged, so OpenZeppelin `MerkleProof`
/// verifies its proofs.
///
/// Staking. A contributor's position in a datanet has an active part (`staked`, which counts
/// toward `hasRequiredStake`) and a pending part (`pendingUnstake`, requested for withdrawal
/// and withdrawable once `unlockAt` has passed). Pending stake is still slashable until it is
/// withdrawn: the cooldown exists so that a contributor cannot escape a slash that curation is
/// about to apply by pulling the stake out first. Invariant: this contract's balance equals the
/// sum over all positions of `staked + pendingUnstake` (slashes leave for the treasury at once).
///
/// Treasury. Slashes go to `params.treasury()` read at slash time, not to an address fixed at
/// deployment, so a governance change of the treasury applies to the very next slash.
contract DatanetRegistry is AccessControl, ReentrancyGuardTransient {
    /// @notice Role of the datanet service: creates datanets and may update any of them.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");
    /// @notice Role of the curation pipeline: anchors snapshot roots and slashes contributors.
    bytes32 public constant CURATION_ROLE = keccak256("CURATION_ROLE");

    /// @notice Denominator of basis-point ratios.
    uint256 public constant BPS_DENOMINATOR = 10_000;

    /// @notice A registered datanet.
    /// @param curator The only non-registrar account that may update the datanet.
    /// @param latestSnapshotSequence Highest snapshot sequence anchored so far (0: none).
    /// @param createdAt Block timestamp of `createDatanet`.
    /// @param metadataHash Commitment to the datanet's off-chain configuration (opaque here).
    /// @param stakeRequired Active stake, in wei, a contributor must hold to contribute.
    struct Datanet {
        address curator;
        uint64 latestSnapshotSequence;
        uint64 createdAt;
        bytes32 metadataHash;
        uint256 stakeRequired;
    }

    /// @notice An anchored snapshot; never changes once written.
    /// @param merkleRoot Root of the snapshot's Merkle tree (scheme "openledger.datanet.merkle.v1").
    /// @param jsonlSha256 SHA-256 of the snapshot's JSON Lines file.
    /// @param recordCount Number of records (Merkle leaves).
    /// @param anchoredAt Block timestamp of the anchoring.
    struct Snapshot {
        bytes32 merkleRoot;
        bytes32 jsonlSha256;
        uint64 recordCount;
        uint64 anchoredAt;
    }

    /// @notice One contributor's stake in one datanet.
    /// @param staked Active stake; counts toward `hasRequiredStake`.
    /// @param pendingUnstake Stake requested for withdrawal; still slashable until withdrawn.
    /// @param unlockAt When `pendingUnstake` becomes withdrawable (0 when nothing is pending).
    struct StakePosition {
        uint256 staked;
        uint256 pendingUnstake;
        uint64 unlockAt;
    }

    /// @notice Governed parameters; `contributorSlashBps` caps each slash and `treasury`
    /// receives it.
    IProtocolParams public immutable params;
    /// @notice Seconds between `requestUnstake` and the earliest `withdrawStake`.
    uint64 public immutable unstakeCooldownSeconds;

    mapping(bytes32 datanetId => Datanet) private _datanets;
    mapping(bytes32 datanetId => mapping(uint64 sequence => Snapshot)) private _snapshots;
    mapping(bytes32 datanetId => mapping(address contributor => StakePosition)) private _stakes;

    /// @notice A datanet was registered.
    /// @param datanetId keccak256 of the datanet id string.
    /// @param curator The datanet's curator.
    /// @param stakeRequired Active stake a contributor must hold, in wei.
    /// @param metadataHash Commitment to the off-chain configuration.
    event DatanetCreated(
        bytes32 indexed datanetId, address indexed curator, uint256 stakeRequired, bytes32 metadataHash
    );

    /// @notice A datanet's curator, stake requirement or metadata hash changed.
    /// @param datanetId The datanet.
    /// @param curator The curator from now on.
    /// @param stakeRequired The stake requirement from now on, in wei.
    /// @param metadataHash The metadata hash from now on.
    /// @param updatedBy The curator or registrar that made the change.
    event DatanetUpdated(
        bytes32 indexed datanetId,
        address indexed curator,
        uint256 stakeRequired,
        bytes32 metadataHash,
        address indexed updatedBy
    );

    /// @notice A contributor added stake.
    /// @param datanetId The datanet.
    /// @param contributor The staker.
    /// @param amount Wei added.
    /// @param staked The contributor's active stake afterwards.
    event Staked(bytes32 indexed datanetId, address indexed contributor, uint256 amount, uint256 staked);

    /// @notice A contributor moved active stake to pending withdrawal.
    /// @param datanetId The datanet.
    /// @param contributor The staker.
    /// @param amount Wei moved by this request.
    /// @param pendingUnstake Total pending afterwards.
    /// @param unlockAt When the whole pending amount becomes withdrawable.
    event UnstakeRequested(
        bytes32 indexed datanetId, address indexed contributor, uint256 amount, uint256 pendingUnstake, uint64 unlockAt
    );

    /// @notice A contributor withdrew their pending stake.
    /// @param datanetId The datanet.
    /// @param contributor The staker, who received the wei.
    /// @param amount Wei paid out.
    event StakeWithdrawn(bytes32 indexed datanetId, address indexed contributor, uint256 amount);

    /// @notice A snapshot root was anchored.
    /// @param datanetId The datanet.
    /// @param sequence The snapshot's sequence number within the datanet.
    /// @param merkleRoot The snapshot's Merkle root.
    /// @param recordCount Number of records (leaves).
    /// @param jsonlSha256 SHA-256 of the snapshot's JSON Lines file.
    event SnapshotAnchored(
        bytes32 indexed datanetId, uint64 indexed sequence, bytes32 merkleRoot, uint64 recordCount, bytes32 jsonlSha256
    );

    /// @notice Part of a contributor's stake was slashed and sent to the treasury.
    /// @param datanetId The datanet.
    /// @param contributor The slashed contributor.
    /// @param amount Wei slashed.
    /// @param reasonHash Commitment to the reason (the penalty record off-chain).
    /// @param staked The contributor's active stake afterwards.
    /// @param pendingUnstake The contributor's pending stake afterwards.
    /// @param treasury The treasury that received the wei (`params.treasury()` at the slash).
    event ContributorSlashed(
        bytes32 indexed datanetId,
        address indexed contributor,
        bytes32 indexed reasonHash,
        uint256 amount,
        uint256 staked,
        uint256 pendingUnstake,
        address treasury
    );

    /// @notice A required address was zero.
    error ZeroAddress();
    /// @notice The datanet id was zero (keccak256 of a string never is).
    error ZeroDatanetId();
    /// @notice A datanet with this id is already registered.
    /// @param datanetId The id.
    error DatanetAlreadyExists(bytes32 datanetId);
    /// @notice No datanet with this id is registered.
    /// @param datanetId The id.
    error DatanetNotFound(bytes32 datanetId);
    /// @notice Only the datanet's curator or a registrar may update it.
    /// @param caller The rejected caller.
    error NotCuratorOrRegistrar(address caller);
    /// @notice An amount that must be positive was zero.
    error ZeroAmount();
    /// @notice The active stake is smaller than the amount requested for withdrawal.
    /// @param staked The active stake.
    /// @param requested The amount requested.
    error InsufficientStake(uint256 staked, uint256 requested);
    /// @notice Nothing is pending withdrawal.
    error NothingToWithdraw();
    /// @notice The cooldown has not passed yet.
    /// @param unlockAt When the pending stake becomes withdrawable.
    error CooldownNotElapsed(uint64 unlockAt);
    /// @notice Snapshot sequences must strictly increase per datanet (roots are never replaced).
    /// @param latest The highest sequence anchored so far.
    /// @param given The sequence given.
    error SnapshotSequenceNotIncreasing(uint64 latest, uint64 given);
    /// @notice A snapshot root may not be zero.
    error ZeroMerkleRoot();
    /// @notice A snapshot must contain at least one record.
    error EmptySnapshot();
    /// @notice No snapshot with this sequence is anchored for the datanet.
    /// @param datanetId The datanet.
    /// @param sequence The sequence.
    error SnapshotNotFound(bytes32 datanetId, uint64 sequence);
    /// @notice A slash may take at most `contributorSlashBps` of the contributor's stake.
    /// @param amount The amount requested.
    /// @param cap The most this slash may take.
    error SlashExceedsCap(uint256 amount, uint256 cap);
    /// @notice Sending native OPEN failed.
    /// @param to The recipient.
    /// @param amount The wei that could not be sent.
    error TransferFailed(address to, uint256 amount);

    /// @param admin Holder of DEFAULT_ADMIN_ROLE (grants REGISTRAR_ROLE and CURATION_ROLE).
    /// @param params_ The governed ProtocolParams; its `treasury()` receives slashed stake and
    /// must accept plain native transfers (a reverting treasury makes every slash revert).
    /// @param unstakeCooldownSeconds_ Delay between requesting and withdrawing stake (0 allowed,
    /// e.g. for local runs; then a slash cannot be guaranteed to catch a leaving contributor).
    constructor(address admin, IProtocolParams params_, uint64 unstakeCooldownSeconds_) {
        if (admin == address(0) || address(params_) == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        params = params_;
        unstakeCooldownSeconds = unstakeCooldownSeconds_;
    }

    // ------------------------------------------------------------------ datanets

    /// @notice Registers a datanet. Called by the datanet service for `CreateDatanet`.
    /// @param datanetId keccak256 of the datanet id string; must not be registered yet (ids are
    /// never reused, as the proto requires).
    /// @param curator The datanet's curator (non-zero).
    /// @param stakeRequired Active stake a contributor must hold, in wei (0: none).
    /// @param metadataHash Commitment to the off-chain configuration.
    function createDatanet(bytes32 datanetId, address curator, uint256 stakeRequired, bytes32 metadataHash)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        if (datanetId == bytes32(0)) revert ZeroDatanetId();
        if (curator == address(0)) revert ZeroAddress();
        if (_datanets[datanetId].curator != address(0)) revert DatanetAlreadyExists(datanetId);
        _datanets[datanetId] = Datanet({
            curator: curator,
            latestSnapshotSequence: 0,
            createdAt: uint64(block.timestamp),
            metadataHash: metadataHash,
            stakeRequired: stakeRequired
        });
        emit DatanetCreated(datanetId, curator, stakeRequired, metadataHash);
    }

    /// @notice Changes a datanet's curator, stake requirement and metadata hash (all three are
    /// written; pass the current values to keep them). A new requirement applies to
    /// `hasRequiredStake` at once; existing stakes are not touched.
    /// @dev Callable by the datanet's curator or a registrar (the service acting for an admin).
    /// @param datanetId The datanet.
    /// @param curator The curator from now on (non-zero; a transfer of curatorship).
    /// @param stakeRequired The stake requirement from now on, in wei.
    /// @param metadataHash The metadata hash from now on.
    function updateDatanet(bytes32 datanetId, address curator, uint256 stakeRequired, bytes32 metadataHash) external {
        Datanet storage d = _existingDatanet(datanetId);
        if (msg.sender != d.curator && !hasRole(REGISTRAR_ROLE, msg.sender)) revert NotCuratorOrRegistrar(msg.sender);
        if (curator == address(0)) revert ZeroAddress();
        d.curator = curator;
        d.stakeRequired = stakeRequired;
        d.metadataHash = metadataHash;
        emit DatanetUpdated(datanetId, curator, stakeRequired, metadataHash, msg.sender);
    }

    // ------------------------------------------------------------------ stakes

    /// @notice Adds `msg.value` to the caller's active stake in a datanet.
    /// @param datanetId The datanet (must be registered).
    function stake(bytes32 datanetId) external payable {
        _existingDatanet(datanetId);
        if (msg.value == 0) revert ZeroAmount();
        StakePosition storage p = _stakes[datanetId][msg.sender];
        uint256 staked = p.staked + msg.value;
        p.staked = staked;
        emit Staked(datanetId, msg.sender, msg.value, staked);
    }

    /// @notice Moves `amount` of the caller's active stake to pending withdrawal. It stops
    /// counting toward `hasRequiredStake` at once but stays slashable until withdrawn.
    /// @dev A further request adds to the pending amount and restarts the cooldown for all of it,
    /// so the full cooldown always follows the latest stake leaving; one pending bucket per
    /// position keeps the accounting (and the slash order) simple.
    /// @param datanetId The datanet.
    /// @param amount Wei to unstake; at most the active stake.
    function requestUnstake(bytes32 datanetId, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        StakePosition storage p = _stakes[datanetId][msg.sender];
        uint256 staked = p.staked;
        if (amount > staked) revert InsufficientStake(staked, amount);
        uint64 unlockAt = uint64(block.timestamp) + unstakeCooldownSeconds;
        p.staked = staked - amount;
        uint256 pending = p.pendingUnstake + amount;
        p.pendingUnstake = pending;
        p.unlockAt = unlockAt;
        emit UnstakeRequested(datanetId, msg.sender, amount, pending, unlockAt);
    }

    /// @notice Pays the caller's whole pending stake (what is left of it after slashes) once the
    /// cooldown has passed.
    /// @param datanetId The datanet.
    function withdrawStake(bytes32 datanetId) external nonReentrant {
        StakePosition storage p = _stakes[datanetId][msg.sender];
        uint256 amount = p.pendingUnstake;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < p.unlockAt) revert CooldownNotElapsed(p.unlockAt);
        // Effects before the transfer (checks-effects-interactions).
        p.pendingUnstake = 0;
        p.unlockAt = 0;
        emit StakeWithdrawn(datanetId, msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ------------------------------------------------------------------ curation

    /// @notice Anchors a snapshot's Merkle root. Sequences strictly increase per datanet (gaps
    /// are allowed: a failed snapshot keeps its number), so an anchored root is never replaced.
    /// @param datanetId The datanet (must be registered).
    /// @param snapshotSequence The snapshot's sequence; greater than every one anchored before.
    /// @param merkleRoot The root (non-zero).
    /// @param recordCount Number of records (at least 1).
    /// @param jsonlSha256 SHA-256 of the snapshot's JSON Lines file.
    function anchorSnapshot(
        bytes32 datanetId,
        uint64 snapshotSequence,
        bytes32 merkleRoot,
        uint64 recordCount,
        bytes32 jsonlSha256
    ) external onlyRole(CURATION_ROLE) {
        Datanet storage d = _existingDatanet(datanetId);
        uint64 latest = d.latestSnapshotSequence;
        if (snapshotSequence <= latest) revert SnapshotSequenceNotIncreasing(latest, snapshotSequence);
        if (merkleRoot == bytes32(0)) revert ZeroMerkleRoot();
        if (recordCount == 0) revert EmptySnapshot();
        d.latestSnapshotSequence = snapshotSequence;
        _snapshots[datanetId][snapshotSequence] = Snapshot({
            merkleRoot: merkleRoot,
            jsonlSha256: jsonlSha256,
            recordCount: recordCount,
            anchoredAt: uint64(block.timestamp)
        });
        emit SnapshotAnchored(datanetId, snapshotSequence, merkleRoot, recordCount, jsonlSha256);
    }

    /// @notice Slashes a contributor and sends the amount to `params.treasury()` as it is now
    /// (governance may have changed it since deployment). One slash may take at
    /// most `stake * params.contributorSlashBps() / 10_000`, where stake is the contributor's
    /// active plus pending stake in this datanet. The amount comes out of the active stake first
    /// and then out of the pending stake, so requesting an unstake does not dodge a slash.
    /// @param datanetId The datanet.
    /// @param contributor The contributor.
    /// @param amount Wei to slash (positive, at most the cap).
    /// @param reasonHash Commitment to the reason (the off-chain penalty record).
    function slash(bytes32 datanetId, address contributor, uint256 amount, bytes32 reasonHash)
        external
        onlyRole(CURATION_ROLE)
        nonReentrant
    {
        if (amount == 0) revert ZeroAmount();
        StakePosition storage p = _stakes[datanetId][contributor];
        uint256 staked = p.staked;
        uint256 pending = p.pendingUnstake;
        uint256 cap = Math.mulDiv(staked + pending, params.contributorSlashBps(), BPS_DENOMINATOR);
        if (amount > cap) revert SlashExceedsCap(amount, cap);
        address to = params.treasury();
        // cap <= staked + pending, so the two parts cover `amount`.
        uint256 fromStaked = amount <= staked ? amount : staked;
        staked -= fromStaked;
        pending -= amount - fromStaked;
        p.staked = staked;
        p.pendingUnstake = pending;
        if (pending == 0) p.unlockAt = 0;
        emit ContributorSlashed(datanetId, contributor, reasonHash, amount, staked, pending, to);
        _send(to, amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice Where the next slash goes: the governed treasury (kept so that callers of the
    /// former immutable `treasury()` still work).
    /// @return `params.treasury()`.
    function treasury() external view returns (address) {
        return params.treasury();
    }

    /// @notice Whether a contributor's active stake meets the datanet's requirement. False for an
    /// unregistered datanet. Pending stake does not count (it is on its way out).
    /// @param datanetId The datanet.
    /// @param contributor The contributor.
    /// @return True when the datanet exists and active stake >= stakeRequired.
    function hasRequiredStake(bytes32 datanetId, address contributor) external view returns (bool) {
        Datanet storage d = _datanets[datanetId];
        if (d.curator == address(0)) return false;
        return _stakes[datanetId][contributor].staked >= d.stakeRequired;
    }

    /// @notice Whether `leaf` is in the anchored snapshot `sequence` of a datanet, by an
    /// OpenZeppelin sorted-pair Merkle proof (the `sibling_hashes` of the proto's
    /// InclusionProof). False when no such snapshot is anchored.
    /// @param datanetId The datanet.
    /// @param sequence The snapshot's sequence.
    /// @param leaf The leaf: keccak256(keccak256(abi.encode(uint256 index, string recordId,
    /// address contributor, bytes32 contentHash, bytes32 curatedContentHash))).
    /// @param proof Sibling hashes from the leaf's level upward.
    /// @return True when the proof folds `leaf` into the anchored root.
    function verifyRecord(bytes32 datanetId, uint64 sequence, bytes32 leaf, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _snapshots[datanetId][sequence].merkleRoot;
        if (root == bytes32(0)) return false;
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice A registered datanet.
    /// @param datanetId The datanet; reverts with DatanetNotFound when unregistered.
    /// @return The datanet's record.
    function datanet(bytes32 datanetId) external view returns (Datanet memory) {
        return _existingDatanet(datanetId);
    }

    /// @notice Whether a datanet id is registered.
    /// @param datanetId The id.
    /// @return True when registered.
    function datanetExists(bytes32 datanetId) external view returns (bool) {
        return _datanets[datanetId].curator != address(0);
    }

    /// @notice An anchored snapshot.
    /// @param datanetId The datanet.
    /// @param sequence The snapshot's sequence; reverts with SnapshotNotFound when not anchored.
    /// @return The snapshot's record.
    function snapshot(bytes32 datanetId, uint64 sequence) external view returns (Snapshot memory) {
        Snapshot memory s = _snapshots[datanetId][sequence];
        if (s.merkleRoot == bytes32(0)) revert SnapshotNotFound(datanetId, sequence);
        return s;
    }

    /// @notice A contributor's stake position in a datanet (all zero when they never staked).
    /// @param datanetId The datanet.
    /// @param contributor The contributor.
    /// @return The position.
    function stakeOf(bytes32 datanetId, address contributor) external view returns (StakePosition memory) {
        return _stakes[datanetId][contributor];
    }

    /// @notice The most one slash could take from a contributor now.
    /// @param datanetId The datanet.
    /// @param contributor The contributor.
    /// @return (active + pending stake) * contributorSlashBps / 10_000.
    function slashCap(bytes32 datanetId, address contributor) external view returns (uint256) {
        StakePosition storage p = _stakes[datanetId][contributor];
        return Math.mulDiv(p.staked + p.pendingUnstake, params.contributorSlashBps(), BPS_DENOMINATOR);
    }

    // ------------------------------------------------------------------ internals

    function _existingDatanet(bytes32 datanetId) private view returns (Datanet storage d) {
        d = _datanets[datanetId];
        if (d.curator == address(0)) revert DatanetNotFound(datanetId);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
