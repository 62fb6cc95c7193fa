// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

/// @notice What the modelfactory service submits to register one adapter version.
/// @param adapterId The adapter id without version, e.g. "medical-qa"
/// (`^[a-z]([a-z0-9-]{1,61}[a-z0-9])$`, as job_config.proto requires).
/// @param version 1 for the first version of `adapterId`, then consecutive.
/// @param adapterSha256 SHA-256 of `adapter_model.safetensors` (non-zero).
/// @param baseModelId The base model it was trained on (must be registered).
/// @param snapshotRoots Merkle roots of the datanet snapshots it was trained on, as anchored on
/// DatanetRegistry (v1: exactly one; may be empty for an adapter without snapshot lineage).
/// @param owner Receives the adapter's share of inference fees; must be the owner of the
/// adapter id's first version for every later version.
/// @param feePer1kTokens Wei of OPEN per 1,000 tokens (prompt plus generated); 0 is free.
struct AdapterRegistration {
    string adapterId;
    uint32 version;
    bytes32 adapterSha256;
    bytes32 baseModelId;
    bytes32[] snapshotRoots;
    address owner;
    uint256 feePer1kTokens;
}

// Adapter key, literally: keccak256(bytes("{adapter_id}@{version}")), e.g. the key of
// "medical-qa@3". (Kept out of NatSpec, where an at sign starts a tag.)
/// @title ModelRegistry
/// @notice The L2 catalogue of base models and of trained LoRA adapter versions, with their
/// lineage (base model, snapshot roots), hash, owner and fee. Inference nodes check an adapter's
/// SHA-256 here before serving it; the fee of a completion is computed from the rate here.
/// @dev Mirrors `openledger.modelfactory.v1` (Adapter, BaseModel). Everything is immutable once
/// registered: a new fee, file or lineage means a new adapter version.
///  - Base model id: keccak256 of the UTF-8 bytes of the catalogue id (`{base_model}` in
///    `baseModels/{base_model}`, e.g. "smollm2-135m-instruct").
///  - Adapter key: keccak256 of the UTF-8 bytes of the adapter id, an at sign and the version
///    in decimal without leading zeros (see the plain comment above the contract); computed
///    here from the registration so that the key always matches the id and version it names.
///  - Adapter id hash: keccak256 of the UTF-8 bytes of the adapter id without version.
contract ModelRegistry is AccessControl {
    using Strings for uint256;

    /// @notice Role of the operator's catalogue: registers base models.
    bytes32 public constant CATALOGUE_ROLE = keccak256("CATALOGUE_ROLE");
    /// @notice Role of the modelfactory service: registers adapters on behalf of their owners.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @notice A registered base model.
    /// @param weightsHash Commitment to the pinned weights: keccak256 of the UTF-8 bytes of
    /// `BaseModel.revision` (a hub commit hash or a hex SHA-256; opaque here).
    /// @param owner Receives the owner share of base-model-only completions (zero: none).
    /// @param registeredAt Block timestamp of registration.
    /// @param feePer1kTokens Wei per 1,000 tokens for base-model-only completions.
    /// @param name Human-readable name, e.g. "SmolLM2 135M Instruct".
    struct BaseModel {
        bytes32 weightsHash;
        address owner;
        uint64 registeredAt;
        uint256 feePer1kTokens;
        string name;
    }

    /// @notice A registered adapter version.
    /// @param adapterIdHash keccak256 of the adapter id without version.
    /// @param version The version.
    /// @param registeredAt Block timestamp of registration.
    /// @param owner Receives the adapter's share of inference fees.
    /// @param adapterSha256 SHA-256 of `adapter_model.safetensors`.
    /// @param baseModelId The base model it was trained on.
    /// @param feePer1kTokens Wei per 1,000 tokens.
    /// @param snapshotRoots Merkle roots of the snapshots it was trained on.
    struct Adapter {
        bytes32 adapterIdHash;
        uint32 version;
        uint64 registeredAt;
        address owner;
        bytes32 adapterSha256;
        bytes32 baseModelId;
        uint256 feePer1kTokens;
        bytes32[] snapshotRoots;
    }

    mapping(bytes32 baseModelId => BaseModel) private _baseModels;
    mapping(bytes32 adapterKey => Adapter) private _adapters;
    mapping(bytes32 adapterIdHash => uint32) private _latestVersion;
    mapping(bytes32 adapterIdHash => address) private _adapterIdOwner;

    /// @notice A base model was added to the catalogue.
    /// @param baseModelId keccak256 of the catalogue id.
    /// @param weightsHash Commitment to the pinned weights.
    /// @param owner Owner of base-model-only completions' owner share (may be zero).
    /// @param feePer1kTokens Wei per 1,000 tokens for base-model-only completions.
    /// @param name Human-readable name.
    event BaseModelRegistered(
        bytes32 indexed baseModelId, bytes32 weightsHash, address indexed owner, uint256 feePer1kTokens, string name
    );

    /// @notice An adapter version was registered.
    /// @param adapterKey the adapter key, keccak256 of "{adapter_id}" + at sign + "{version}".
    /// @param adapterIdHash keccak256(adapter_id).
    /// @param owner The adapter's owner.
    /// @param adapterId The adapter id (so indexers need no off-chain lookup).
    /// @param version The version.
    /// @param adapterSha256 SHA-256 of `adapter_model.safetensors`.
    /// @param baseModelId The base model.
    /// @param snapshotRoots Snapshot Merkle roots of its training data.
    /// @param feePer1kTokens Wei per 1,000 tokens.
    event AdapterRegistered(
        bytes32 indexed adapterKey,
        bytes32 indexed adapterIdHash,
        address indexed owner,
        string adapterId,
        uint32 version,
        bytes32 adapterSha256,
        bytes32 baseModelId,
        bytes32[] snapshotRoots,
        uint256 feePer1kTokens
    );

    /// @notice A required address was zero.
    error ZeroAddress();
    /// @notice The base model id was zero.
    error ZeroBaseModelId();
    /// @notice The base model weights hash was zero.
    error ZeroWeightsHash();
    /// @notice The base model name was empty.
    error EmptyName();
    /// @notice This base model id is already registered (base models are immutable).
    /// @param baseModelId The id.
    error BaseModelAlreadyRegistered(bytes32 baseModelId);
    /// @notice No base model with this id is registered.
    /// @param baseModelId The id.
    error BaseModelNotFound(bytes32 baseModelId);
    /// @notice The adapter id does not match `^[a-z]([a-z0-9-]{1,61}[a-z0-9])$`.
    /// @param adapterId The id given.
    error InvalidAdapterId(string adapterId);
    /// @notice The adapter SHA-256 was zero.
    error ZeroAdapterSha256();
    /// @notice This version of the adapter id is already registered (versions are immutable).
    /// @param adapterIdHash keccak256 of the adapter id.
    /// @param version The version given.
    /// @param latest The latest registered version.
    error AdapterVersionExists(bytes32 adapterIdHash, uint32 version, uint32 latest);
    /// @notice Versions must be registered in order: exactly latest + 1.
    /// @param adapterIdHash keccak256 of the adapter id.
    /// @param expected The only version that may be registered next.
    /// @param given The version given.
    error AdapterVersionOutOfOrder(bytes32 adapterIdHash, uint256 expected, uint32 given);
    /// @notice An adapter id belongs to the owner of its first version.
    /// @param adapterIdHash keccak256 of the adapter id.
    /// @param owner The adapter id's owner.
    /// @param given The owner given.
    error AdapterOwnerMismatch(bytes32 adapterIdHash, address owner, address given);
    /// @notice No adapter version is registered under this key.
    /// @param adapterKey The key.
    error AdapterNotFound(bytes32 adapterKey);

    /// @param admin Holder of DEFAULT_ADMIN_ROLE (grants CATALOGUE_ROLE and REGISTRAR_ROLE).
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ------------------------------------------------------------------ base models

    /// @notice Adds a base model to the catalogue; immutable afterwards.
    /// @param baseModelId keccak256 of the catalogue id (non-zero, not registered yet).
    /// @param weightsHash keccak256 of the UTF-8 `BaseModel.revision` (non-zero).
    /// @param name Human-readable name (non-empty).
    /// @param owner Receives the owner share of base-model-only completions (zero: the protocol
    /// keeps it, as the attribution service decides).
    /// @param feePer1kTokens Wei per 1,000 tokens for base-model-only completions (0: free).
    function registerBaseModel(
        bytes32 baseModelId,
        bytes32 weightsHash,
        string calldata name,
        address owner,
        uint256 feePer1kTokens
    ) external onlyRole(CATALOGUE_ROLE) {
        if (baseModelId == bytes32(0)) revert ZeroBaseModelId();
        if (weightsHash == bytes32(0)) revert ZeroWeightsHash();
        if (bytes(name).length == 0) revert EmptyName();
        if (_baseModels[baseModelId].weightsHash != bytes32(0)) revert BaseModelAlreadyRegistered(baseModelId);
        _baseModels[baseModelId] = BaseModel({
            weightsHash: weightsHash,
            owner: owner,
            registeredAt: uint64(block.timestamp),
            feePer1kTokens: feePer1kTokens,
            name: name
        });
        emit BaseModelRegistered(baseModelId, weightsHash, owner, feePer1kTokens, name);
    }

    // ------------------------------------------------------------------ adapters

    /// @notice Registers one adapter version on behalf of `r.owner`; immutable afterwards.
    /// @dev Rules: the id is well formed; the version is exactly latest + 1 (1 for a new id);
    /// the owner is non-zero and, after version 1, equal to the id's owner; the SHA-256 is
    /// non-zero; the base model is registered.
    /// @param r The registration.
    /// @return key the adapter key, keccak256 of "{adapter_id}" + at sign + "{version}", the adapter's key from now on.
    function registerAdapter(AdapterRegistration calldata r) external onlyRole(REGISTRAR_ROLE) returns (bytes32 key) {
        _checkAdapterId(r.adapterId);
        bytes32 idHash = keccak256(bytes(r.adapterId));
        uint32 latest = _latestVersion[idHash];
        // Computed in uint256 so that latest == type(uint32).max cannot overflow.
        uint256 expected = uint256(latest) + 1;
        if (r.version != expected) {
            if (r.version != 0 && r.version <= latest) revert AdapterVersionExists(idHash, r.version, latest);
            revert AdapterVersionOutOfOrder(idHash, expected, r.version);
        }
        if (r.owner == address(0)) revert ZeroAddress();
        if (latest == 0) {
            _adapterIdOwner[idHash] = r.owner;
        } else if (r.owner != _adapterIdOwner[idHash]) {
            revert AdapterOwnerMismatch(idHash, _adapterIdOwner[idHash], r.owner);
        }
        if (r.adapterSha256 == bytes32(0)) revert ZeroAdapterSha256();
        if (_baseModels[r.baseModelId].weightsHash == bytes32(0)) revert BaseModelNotFound(r.baseModelId);

        key = _adapterKey(r.adapterId, r.version);
        _latestVersion[idHash] = r.version;
        Adapter storage a = _adapters[key];
        a.adapterIdHash = idHash;
        a.version = r.version;
        a.registeredAt = uint64(block.timestamp);
        a.owner = r.owner;
        a.adapterSha256 = r.adapterSha256;
        a.baseModelId = r.baseModelId;
        a.feePer1kTokens = r.feePer1kTokens;
        a.snapshotRoots = r.snapshotRoots;
        _emitAdapterRegistered(key, idHash, r);
    }

    // ------------------------------------------------------------------ views

    /// @notice A registered adapter version.
    /// @param key the adapter key, keccak256 of "{adapter_id}" + at sign + "{version}"; reverts with AdapterNotFound when absent.
    /// @return The adapter's record.
    function adapter(bytes32 key) external view returns (Adapter memory) {
        Adapter storage a = _adapters[key];
        if (a.version == 0) revert AdapterNotFound(key);
        return a;
    }

    /// @notice The latest registered version of an adapter id (0: none).
    /// @param adapterIdHash keccak256 of the adapter id.
    /// @return The version.
    function latestVersion(bytes32 adapterIdHash) external view returns (uint32) {
        return _latestVersion[adapterIdHash];
    }

    /// @notice The owner of an adapter id (the owner of its first version; zero: none).
    /// @param adapterIdHash keccak256 of the adapter id.
    /// @return The owner.
    function adapterIdOwner(bytes32 adapterIdHash) external view returns (address) {
        return _adapterIdOwner[adapterIdHash];
    }

    /// @notice What an inference node checks before serving: the adapter version is registered
    /// and the SHA-256 of the file it fetched is the registered one.
    /// @param key the adapter key, keccak256 of "{adapter_id}" + at sign + "{version}".
    /// @param adapterSha256 SHA-256 of the fetched `adapter_model.safetensors`.
    /// @return True when registered with exactly this hash.
    function isRegistered(bytes32 key, bytes32 adapterSha256) external view returns (bool) {
        Adapter storage a = _adapters[key];
        return a.version != 0 && a.adapterSha256 == adapterSha256;
    }

    /// @notice The fee of a completion with an adapter: ceil(feePer1kTokens * tokens / 1000).
    /// @param key the adapter key, keccak256 of "{adapter_id}" + at sign + "{version}"; reverts with AdapterNotFound when absent.
    /// @param tokens Prompt plus generated tokens.
    /// @return Wei of OPEN.
    function feeFor(bytes32 key, uint256 tokens) external view returns (uint256) {
        Adapter storage a = _adapters[key];
        if (a.version == 0) revert AdapterNotFound(key);
        return Math.mulDiv(a.feePer1kTokens, tokens, 1000, Math.Rounding.Ceil);
    }

    /// @notice A registered base model.
    /// @param baseModelId keccak256 of the catalogue id; reverts with BaseModelNotFound when absent.
    /// @return The base model's record.
    function baseModel(bytes32 baseModelId) external view returns (BaseModel memory) {
        BaseModel storage b = _baseModels[baseModelId];
        if (b.weightsHash == bytes32(0)) revert BaseModelNotFound(baseModelId);
        return b;
    }

    /// @notice Whether a base model id is registered.
    /// @param baseModelId keccak256 of the catalogue id.
    /// @return True when registered.
    function isBaseModelRegistered(bytes32 baseModelId) external view returns (bool) {
        return _baseModels[baseModelId].weightsHash != bytes32(0);
    }

    /// @notice The fee of a base-model-only completion: ceil(feePer1kTokens * tokens / 1000).
    /// @param baseModelId keccak256 of the catalogue id; reverts with BaseModelNotFound when absent.
    /// @param tokens Prompt plus generated tokens.
    /// @return Wei of OPEN.
    function baseModelFeeFor(bytes32 baseModelId, uint256 tokens) external view returns (uint256) {
        BaseModel storage b = _baseModels[baseModelId];
        if (b.weightsHash == bytes32(0)) revert BaseModelNotFound(baseModelId);
        return Math.mulDiv(b.feePer1kTokens, tokens, 1000, Math.Rounding.Ceil);
    }

    /// @notice The key of an adapter version (keccak256 of the id, an at sign and the decimal
    /// version), for callers that hold the id string.
    /// @param adapterId The adapter id without version.
    /// @param version The version.
    /// @return The key.
    function adapterKey(string calldata adapterId, uint32 version) external pure returns (bytes32) {
        return _adapterKey(adapterId, version);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Separate frame: the event's two dynamic calldata values plus the key would not fit
    /// the stack of `registerAdapter` without via-IR.
    function _emitAdapterRegistered(bytes32 key, bytes32 idHash, AdapterRegistration calldata r) private {
        emit AdapterRegistered(
            key,
            idHash,
            r.owner,
            r.adapterId,
            r.version,
            r.adapterSha256,
            r.baseModelId,
            r.snapshotRoots,
            r.feePer1kTokens
        );
    }

    function _adapterKey(string calldata adapterId, uint32 version) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(adapterId, "@", uint256(version).toString()));
    }

    /// @dev `^[a-z]([a-z0-9-]{1,61}[a-z0-9])$`: 3-63 characters, lowercase letters, digits and
    /// hyphens, starting with a letter, not ending with a hyphen. Enforced on chain so that every
    /// key is the hash of a canonical id (no at sign can blur the id/version split).
    function _checkAdapterId(string calldata adapterId) private pure {
        bytes calldata b = bytes(adapterId);
        uint256 n = b.length;
        if (n < 3 || n > 63) revert InvalidAdapterId(adapterId);
        if (b[0] < "a" || b[0] > "z" || b[n - 1] == "-") revert InvalidAdapterId(adapterId);
        for (uint256 i = 1; i < n; ++i) {
            bytes1 c = b[i];
            if (!((c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "-")) revert InvalidAdapterId(adapterId);
        }
    }
}
