// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IProtocolParams} from "../interfaces/IProtocolParams.sol";

/// @notice The fields of a node's signed NodeRegistration (openledger.inference.v1), minus the
/// chain id and pool address, which the digest takes from the chain and this contract.
/// @param provider The provider's address (the signer).
/// @param endpoint The node's gRPC target `host:port`.
/// @param metadataHash keccak256 of the node metadata document.
/// @param engine The EngineKind number (1 torch, 2 vLLM).
/// @param baseModels The catalogue ids the node serves, in the registration's order.
/// @param maxConcurrentRequests NodeCapacity.max_concurrent_requests.
/// @param maxLoras NodeCapacity.max_loras.
/// @param maxCpuLoras NodeCapacity.max_cpu_loras.
/// @param maxLoraRank NodeCapacity.max_lora_rank.
/// @param maxContextTokens NodeCapacity.max_context_tokens.
/// @param device NodeCapacity.device.
/// @param acceleratorCount NodeCapacity.accelerator_count.
/// @param acceleratorMemoryBytes NodeCapacity.accelerator_memory_bytes.
/// @param expireTime expire_time in Unix seconds.
struct NodeRegistrationData {
    address provider;
    string endpoint;
    bytes32 metadataHash;
    uint256 engine;
    string[] baseModels;
    uint32 maxConcurrentRequests;
    uint32 maxLoras;
    uint32 maxCpuLoras;
    uint32 maxLoraRank;
    uint32 maxContextTokens;
    string device;
    uint32 acceleratorCount;
    uint64 acceleratorMemoryBytes;
    uint64 expireTime;
}

/// @title InferencePool
/// @notice Stakes and membership of inference providers (OpenLoRA GPU operators) in native OPEN.
/// A provider stakes, registers the hash of its endpoint metadata, and is active while it is
/// registered, not exiting, and holds at least `minStake`. The router checks `isActive` and
/// `stakeOf` when a node registers (openledger.inference.v1 NodeRegistration); the node's signed
/// registration names this contract's address. Misbehaving providers are slashed to the treasury
/// (`params.treasury()` read at slash time, so a governance change applies to the next slash).
/// @dev Lifecycle: stake (any number of top-ups) -> register (and re-register to change the
/// hash) -> requestExit (inactive at once) -> withdraw after `exitCooldownSeconds` (the whole
/// stake; the provider record is cleared and may start over). Stake stays slashable until it is
/// withdrawn, so a provider cannot exit ahead of a pending slash. A slash that leaves the stake
/// below `minStake` makes the provider inactive until it tops up. Invariant: this contract's
/// balance equals the sum of all providers' stakes.
contract InferencePool is AccessControl, ReentrancyGuardTransient {
    /// @notice Role that slashes providers (the router or governance's operator).
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");

    /// @notice Denominator of basis-point ratios.
    uint256 public constant BPS_DENOMINATOR = 10_000;
    /// @notice keccak256("openledger.inference.v1.NodeRegistration"), the first word of the digest.
    bytes32 public constant NODE_REGISTRATION_TYPEHASH = keccak256("openledger.inference.v1.NodeRegistration");

    /// @notice A provider's record.
    /// @param stake Wei staked (after slashes).
    /// @param endpointMetadataHash keccak256 of the node metadata document last registered.
    /// @param registeredAt Block timestamp of the last `register` (0: never registered).
    /// @param exitAvailableAt When `withdraw` becomes possible (0 while not exiting).
    /// @param registered Whether the provider has registered and not requested exit since.
    /// @param exiting Whether the provider has requested exit and not withdrawn yet.
    struct Provider {
        uint256 stake;
        bytes32 endpointMetadataHash;
        uint64 registeredAt;
        uint64 exitAvailableAt;
        bool registered;
        bool exiting;
    }

    /// @notice Governed parameters; `providerSlashBps` caps each slash and `treasury` receives it.
    IProtocolParams public immutable params;
    /// @notice Least stake, in wei, an active provider holds.
    uint256 public immutable minStake;
    /// @notice Seconds between `requestExit` and the earliest `withdraw`.
    uint64 public immutable exitCooldownSeconds;

    mapping(address provider => Provider) private _providers;

    /// @notice A provider added stake.
    /// @param provider The provider.
    /// @param amount Wei added.
    /// @param stake The provider's stake afterwards.
    event Staked(address indexed provider, uint256 amount, uint256 stake);

    /// @notice A provider registered or changed its endpoint metadata hash.
    /// @param provider The provider.
    /// @param endpointMetadataHash keccak256 of the node metadata document.
    /// @param stake The provider's stake at registration.
    event ProviderRegistered(address indexed provider, bytes32 endpointMetadataHash, uint256 stake);

    /// @notice A provider left the active set and started its exit cooldown.
    /// @param provider The provider.
    /// @param exitAvailableAt When it may withdraw.
    event ExitRequested(address indexed provider, uint64 exitAvailableAt);

    /// @notice A provider withdrew its stake and its record was cleared.
    /// @param provider The provider, who received the wei.
    /// @param amount Wei paid out (0 when slashes took everything).
    event Withdrawn(address indexed provider, uint256 amount);

    /// @notice Part of a provider's stake was slashed and sent to the treasury.
    /// @param provider The provider.
    /// @param reasonHash Commitment to the reason.
    /// @param amount Wei slashed.
    /// @param stake The provider's stake afterwards.
    /// @param treasury The treasury that received the wei (`params.treasury()` at the slash).
    event ProviderSlashed(
        address indexed provider, bytes32 indexed reasonHash, uint256 amount, uint256 stake, address treasury
    );

    /// @notice A required address was zero.
    error ZeroAddress();
    /// @notice The minimum stake must be positive (stake is what slashing secures).
    error ZeroMinStake();
    /// @notice An amount that must be positive was zero.
    error ZeroAmount();
    /// @notice The endpoint metadata hash was zero.
    error ZeroMetadataHash();
    /// @notice The provider has requested exit; it must withdraw before staking or registering.
    error ProviderExiting();
    /// @notice The provider's stake is below the minimum needed to register.
    /// @param stake The provider's stake.
    /// @param minStake The minimum.
    error InsufficientStake(uint256 stake, uint256 minStake);
    /// @notice The provider has no stake to exit with.
    error NotStaked();
    /// @notice `withdraw` needs a prior `requestExit`.
    error ExitNotRequested();
    /// @notice The exit cooldown has not passed yet.
    /// @param exitAvailableAt When withdrawal becomes possible.
    error CooldownNotElapsed(uint64 exitAvailableAt);
    /// @notice A slash may take at most `providerSlashBps` of the provider's stake.
    /// @param amount The amount requested.
    /// @param cap The most this slash may take.
    error SlashExceedsCap(uint256 amount, uint256 cap);
    /// @notice Sending native OPEN failed.
    /// @param to The recipient.
    /// @param amount The wei that could not be sent.
    error TransferFailed(address to, uint256 amount);

    /// @param admin Holder of DEFAULT_ADMIN_ROLE (grants SLASHER_ROLE).
    /// @param params_ The governed ProtocolParams; its `treasury()` receives slashed stake and
    /// must accept plain native transfers.
    /// @param minStake_ Least stake of an active provider, in wei (positive).
    /// @param exitCooldownSeconds_ Delay between `requestExit` and `withdraw` (0 allowed for
    /// local runs).
    constructor(address admin, IProtocolParams params_, uint256 minStake_, uint64 exitCooldownSeconds_) {
        if (admin == address(0) || address(params_) == address(0)) revert ZeroAddress();
        if (minStake_ == 0) revert ZeroMinStake();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        params = params_;
        minStake = minStake_;
        exitCooldownSeconds = exitCooldownSeconds_;
    }

    /// @notice Adds `msg.value` to the caller's stake (a first stake or a top-up). Not while
    /// exiting: withdraw first.
    function stake() external payable {
        if (msg.value == 0) revert ZeroAmount();
        Provider storage p = _providers[msg.sender];
        if (p.exiting) revert ProviderExiting();
        uint256 newStake = p.stake + msg.value;
        p.stake = newStake;
        emit Staked(msg.sender, msg.value, newStake);
    }

    /// @notice Registers the caller as a provider, or updates its endpoint metadata hash.
    /// @param endpointMetadataHash keccak256 of the node metadata document (non-zero; the
    /// `metadata_hash` of NodeRegistration).
    function register(bytes32 endpointMetadataHash) external {
        if (endpointMetadataHash == bytes32(0)) revert ZeroMetadataHash();
        Provider storage p = _providers[msg.sender];
        if (p.exiting) revert ProviderExiting();
        uint256 s = p.stake;
        if (s < minStake) revert InsufficientStake(s, minStake);
        p.endpointMetadataHash = endpointMetadataHash;
        p.registeredAt = uint64(block.timestamp);
        p.registered = true;
        emit ProviderRegistered(msg.sender, endpointMetadataHash, s);
    }

    /// @notice Leaves the active set at once and starts the exit cooldown. Also for a provider
    /// that staked but never registered.
    function requestExit() external {
        Provider storage p = _providers[msg.sender];
        if (p.exiting) revert ProviderExiting();
        if (p.stake == 0) revert NotStaked();
        uint64 availableAt = uint64(block.timestamp) + exitCooldownSeconds;
        p.exiting = true;
        p.registered = false;
        p.exitAvailableAt = availableAt;
        emit ExitRequested(msg.sender, availableAt);
    }

    /// @notice Pays out the caller's whole remaining stake after the exit cooldown and clears its
    /// record (it may stake and register again afterwards).
    function withdraw() external nonReentrant {
        Provider storage p = _providers[msg.sender];
        if (!p.exiting) revert ExitNotRequested();
        if (block.timestamp < p.exitAvailableAt) revert CooldownNotElapsed(p.exitAvailableAt);
        uint256 amount = p.stake;
        // Effects before the transfer (checks-effects-interactions).
        delete _providers[msg.sender];
        emit Withdrawn(msg.sender, amount);
        if (amount != 0) _send(msg.sender, amount);
    }

    /// @notice Slashes a provider (also while exiting, until it withdraws) and sends the amount
    /// to `params.treasury()` as it is now. One slash takes at most `stake * params.providerSlashBps() / 10_000`.
    /// @param account The provider.
    /// @param amount Wei to slash (positive, at most the cap).
    /// @param reasonHash Commitment to the reason (e.g. the evidence record's hash).
    function slash(address account, uint256 amount, bytes32 reasonHash) external onlyRole(SLASHER_ROLE) nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Provider storage p = _providers[account];
        uint256 s = p.stake;
        uint256 cap = Math.mulDiv(s, params.providerSlashBps(), BPS_DENOMINATOR);
        if (amount > cap) revert SlashExceedsCap(amount, cap);
        address to = params.treasury();
        s -= amount;
        p.stake = s;
        emit ProviderSlashed(account, reasonHash, amount, s, to);
        _send(to, amount);
    }

    /// @notice Where the next slash goes: the governed treasury (kept so that callers of the
    /// former immutable `treasury()` still work).
    /// @return `params.treasury()`.
    function treasury() external view returns (address) {
        return params.treasury();
    }

    /// @notice Whether a provider may serve: registered, not exiting, stake >= minStake.
    /// @param account The provider.
    /// @return True when active.
    function isActive(address account) external view returns (bool) {
        Provider storage p = _providers[account];
        return p.registered && !p.exiting && p.stake >= minStake;
    }

    /// @notice A provider's stake, in wei, after slashes (0 when unknown).
    /// @param account The provider.
    /// @return The stake.
    function stakeOf(address account) external view returns (uint256) {
        return _providers[account].stake;
    }

    /// @notice A provider's whole record (all zero when unknown).
    /// @param account The provider.
    /// @return The record.
    function provider(address account) external view returns (Provider memory) {
        return _providers[account];
    }

    /// @notice The most one slash could take from a provider now.
    /// @param account The provider.
    /// @return stake * providerSlashBps / 10_000.
    function slashCap(address account) external view returns (uint256) {
        return Math.mulDiv(_providers[account].stake, params.providerSlashBps(), BPS_DENOMINATOR);
    }

    /// @notice The digest a provider signs (EIP-191 personal_sign) to register a node with this
    /// pool, exactly as node.proto defines it: keccak256(abi.encode(typehash, chain id, pool,
    /// provider, keccak256(endpoint), metadataHash, engine, keccak256(concat of keccak256 of each
    /// base model id), the five uint32 capacities, keccak256(device), acceleratorCount,
    /// acceleratorMemoryBytes, expireTime)). Lets anyone recompute on chain what the router checks.
    /// @param r The registration's fields.
    /// @return The digest, bound to `block.chainid` and this contract's address.
    function nodeRegistrationDigest(NodeRegistrationData calldata r) public view returns (bytes32) {
        bytes32[] memory modelHashes = new bytes32[](r.baseModels.length);
        for (uint256 i = 0; i < modelHashes.length; ++i) {
            modelHashes[i] = keccak256(bytes(r.baseModels[i]));
        }
        // Two halves of static words: their concatenation is abi.encode of all 17 values (one
        // abi.encode of 17 values does not fit the stack without via-IR).
        bytes memory head = abi.encode(
            NODE_REGISTRATION_TYPEHASH,
            block.chainid,
            address(this),
            r.provider,
            keccak256(bytes(r.endpoint)),
            r.metadataHash,
            r.engine,
            keccak256(abi.encodePacked(modelHashes))
        );
        bytes memory tail = abi.encode(
            r.maxConcurrentRequests,
            r.maxLoras,
            r.maxCpuLoras,
            r.maxLoraRank,
            r.maxContextTokens,
            keccak256(bytes(r.device)),
            r.acceleratorCount,
            r.acceleratorMemoryBytes,
            r.expireTime
        );
        return keccak256(bytes.concat(head, tail));
    }

    /// @notice Whether `signature` is `r.provider`'s EIP-191 personal_sign of
    /// `nodeRegistrationDigest(r)` (65 bytes r, s, v with v 27 or 28). Does not check expiry,
    /// stake or activity: callers combine it with `isActive` and their own clock.
    /// @param r The registration's fields.
    /// @param signature The provider's signature.
    /// @return True when the signature recovers to `r.provider`.
    function isValidNodeRegistration(NodeRegistrationData calldata r, bytes calldata signature)
        external
        view
        returns (bool)
    {
        bytes32 ethHash = MessageHashUtils.toEthSignedMessageHash(nodeRegistrationDigest(r));
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(ethHash, signature);
        return err == ECDSA.RecoverError.NoError && signer == r.provider && signer != address(0);
    }

    function _send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
