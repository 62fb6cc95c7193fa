// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IProtocolParams, Params} from "../interfaces/IProtocolParams.sol";

/// @title ProtocolParams
/// @notice The governed parameters of OpenLedger on L2: the attribution threshold, the fee split
/// between contributors, the model owner and the protocol, the optimistic-rollup challenge
/// window, the slashing rates, and the protocol treasury address. Off-chain services (the
/// attribution workers, the curators, the sequencer) read them here; only the
/// `TimelockController` that `OpenGovernor` drives may change them.
/// @dev Access is AccessControl rather than Ownable(timelock) because (1) the repository's rule is
/// "roles through AccessControl", so every contract is wired and audited the same way by the
/// deploy module, and (2) governance can later, by a proposal, grant PARAMS_ADMIN_ROLE to a
/// second executor (for example an emergency council timelock) without redeploying, which
/// Ownable cannot express. The timelock is the only holder of both PARAMS_ADMIN_ROLE and
/// DEFAULT_ADMIN_ROLE from construction on; no deployer key ever holds a role here, so there is
/// nothing to renounce after deployment.
contract ProtocolParams is IProtocolParams, AccessControl {
    /// @notice Role allowed to change the parameters (held by the timelock only).
    bytes32 public constant PARAMS_ADMIN_ROLE = keccak256("PARAMS_ADMIN_ROLE");

    /// @notice 100 % in basis points; every ratio here is at most this.
    uint16 public constant MAX_BPS = 10_000;
    /// @notice Shortest challenge window accepted. One second rather than hours because local
    /// demos and integration tests run whole withdrawal flows in seconds.
    uint64 public constant MIN_CHALLENGE_WINDOW = 1;
    /// @notice Longest challenge window accepted: 30 days, so that a bad proposal cannot lock
    /// every withdrawal for an unbounded time (OP mainnet uses 7 days).
    uint64 public constant MAX_CHALLENGE_WINDOW = 30 days;

    Params private _params;
    address private _treasury;

    /// @notice The attribution threshold changed.
    /// @param oldBps The previous threshold in basis points.
    /// @param newBps The new threshold in basis points.
    event AttributionThresholdChanged(uint16 oldBps, uint16 newBps);

    /// @notice The fee split changed (the three new shares sum to 10_000).
    /// @param oldContributorsBps Previous contributors' share.
    /// @param oldModelOwnerBps Previous model owner's share.
    /// @param oldProtocolBps Previous protocol share.
    /// @param newContributorsBps New contributors' share.
    /// @param newModelOwnerBps New model owner's share.
    /// @param newProtocolBps New protocol share.
    event FeeSplitChanged(
        uint16 oldContributorsBps,
        uint16 oldModelOwnerBps,
        uint16 oldProtocolBps,
        uint16 newContributorsBps,
        uint16 newModelOwnerBps,
        uint16 newProtocolBps
    );

    /// @notice The challenge window changed.
    /// @param oldSeconds The previous window in seconds.
    /// @param newSeconds The new window in seconds.
    event ChallengeWindowChanged(uint64 oldSeconds, uint64 newSeconds);

    /// @notice The slashing rates changed.
    /// @param oldContributorSlashBps Previous cap on one contributor slash.
    /// @param oldProviderSlashBps Previous cap on one provider slash.
    /// @param newContributorSlashBps New cap on one contributor slash.
    /// @param newProviderSlashBps New cap on one provider slash.
    event SlashingRatesChanged(
        uint16 oldContributorSlashBps,
        uint16 oldProviderSlashBps,
        uint16 newContributorSlashBps,
        uint16 newProviderSlashBps
    );

    /// @notice The protocol treasury changed.
    /// @param oldTreasury The previous treasury.
    /// @param newTreasury The new treasury.
    event TreasuryChanged(address indexed oldTreasury, address indexed newTreasury);

    /// @notice A ratio is above 100 % (10_000 bps).
    /// @param bps The rejected value.
    error BpsOutOfRange(uint256 bps);

    /// @notice The three fee shares do not add up to 10_000 bps.
    /// @param contributorsBps The contributors' share given.
    /// @param modelOwnerBps The model owner's share given.
    /// @param protocolBps The protocol share given.
    error InvalidFeeSplit(uint16 contributorsBps, uint16 modelOwnerBps, uint16 protocolBps);

    /// @notice The challenge window is outside [MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW].
    /// @param seconds_ The rejected window.
    error ChallengeWindowOutOfRange(uint64 seconds_);

    /// @notice An address argument is zero.
    error ZeroAddress();

    /// @notice Validates `initial`, gives the timelock both roles and makes it the treasury.
    /// @dev The treasury starts as the timelock (which can receive native OPEN) so that protocol
    /// fees accrue to what governance controls until a proposal names another treasury. Each
    /// parameter event is emitted with zero "old" values so indexers see the initial values.
    /// @param timelock The TimelockController that OpenGovernor controls.
    /// @param initial The initial parameters (validated like every later change).
    constructor(address timelock, Params memory initial) {
        if (timelock == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, timelock);
        _grantRole(PARAMS_ADMIN_ROLE, timelock);
        _setParams(initial);
        _setTreasury(timelock);
    }

    // ---------------------------------------------------------------- views

    /// @notice Every parameter at once.
    /// @return The current parameters.
    function params() external view returns (Params memory) {
        return _params;
    }

    /// @notice A contributor whose share of the total positive score is below this earns
    /// nothing from an inference (basis points).
    /// @return The threshold in basis points.
    function attributionThresholdBps() external view returns (uint16) {
        return _params.attributionThresholdBps;
    }

    /// @notice How an inference fee is divided (basis points, summing to 10_000).
    /// @return contributorsBps The contributors' share.
    /// @return modelOwnerBps The model (adapter) owner's share.
    /// @return protocolBps The protocol treasury's share.
    function feeSplit() external view returns (uint16 contributorsBps, uint16 modelOwnerBps, uint16 protocolBps) {
        Params storage p = _params;
        return (p.contributorsBps, p.modelOwnerBps, p.protocolBps);
    }

    /// @notice The optimistic-rollup challenge window.
    /// @return The window in seconds.
    function challengeWindowSeconds() external view returns (uint64) {
        return _params.challengeWindowSeconds;
    }

    /// @notice The most of a contributor's stake one slash may take.
    /// @return The cap in basis points.
    function contributorSlashBps() external view returns (uint16) {
        return _params.contributorSlashBps;
    }

    /// @notice The most of an inference provider's stake one slash may take.
    /// @return The cap in basis points.
    function providerSlashBps() external view returns (uint16) {
        return _params.providerSlashBps;
    }

    /// @notice The protocol treasury: receives the protocol share of fees, rounding dust and the
    /// contributors' pool when nobody is eligible (see openledger.attribution.v1.FeeSplit).
    /// @return The treasury address.
    function treasury() external view returns (address) {
        return _treasury;
    }

    // ---------------------------------------------------------------- setters (timelock only)

    /// @notice Replaces every parameter at once (one proposal for a coordinated change).
    /// @dev Emits each per-group change event, so indexers need to handle only those.
    /// @param newParams The new parameters; validated as the per-field setters validate.
    function setParams(Params calldata newParams) external onlyRole(PARAMS_ADMIN_ROLE) {
        _setParams(newParams);
    }

    /// @notice Sets the attribution threshold.
    /// @param bps The new threshold in basis points (at most 10_000).
    function setAttributionThresholdBps(uint16 bps) external onlyRole(PARAMS_ADMIN_ROLE) {
        _setAttributionThresholdBps(bps);
    }

    /// @notice Sets the fee split; the three shares must add up to 10_000.
    /// @param contributorsBps Contributors' share in basis points.
    /// @param modelOwnerBps Model owner's share in basis points.
    /// @param protocolBps Protocol share in basis points.
    function setFeeSplit(uint16 contributorsBps, uint16 modelOwnerBps, uint16 protocolBps)
        external
        onlyRole(PARAMS_ADMIN_ROLE)
    {
        _setFeeSplit(contributorsBps, modelOwnerBps, protocolBps);
    }

    /// @notice Sets the challenge window.
    /// @param seconds_ The new window in seconds, within [1 s, 30 days].
    function setChallengeWindowSeconds(uint64 seconds_) external onlyRole(PARAMS_ADMIN_ROLE) {
        _setChallengeWindowSeconds(seconds_);
    }

    /// @notice Sets the slashing rates.
    /// @param contributorSlashBps_ The most of a contributor's stake one slash may take (bps).
    /// @param providerSlashBps_ The most of a provider's stake one slash may take (bps).
    function setSlashingRates(uint16 contributorSlashBps_, uint16 providerSlashBps_)
        external
        onlyRole(PARAMS_ADMIN_ROLE)
    {
        _setSlashingRates(contributorSlashBps_, providerSlashBps_);
    }

    /// @notice Sets the protocol treasury.
    /// @param newTreasury The new treasury (non-zero).
    function setTreasury(address newTreasury) external onlyRole(PARAMS_ADMIN_ROLE) {
        _setTreasury(newTreasury);
    }

    // ---------------------------------------------------------------- internals

    function _setParams(Params memory p) private {
        _setAttributionThresholdBps(p.attributionThresholdBps);
        _setFeeSplit(p.contributorsBps, p.modelOwnerBps, p.protocolBps);
        _setChallengeWindowSeconds(p.challengeWindowSeconds);
        _setSlashingRates(p.contributorSlashBps, p.providerSlashBps);
    }

    function _setAttributionThresholdBps(uint16 bps) private {
        _checkBps(bps);
        uint16 old = _params.attributionThresholdBps;
        _params.attributionThresholdBps = bps;
        emit AttributionThresholdChanged(old, bps);
    }

    function _setFeeSplit(uint16 c, uint16 m, uint16 p) private {
        // Summed in uint256: three uint16 values cannot overflow it, and a uint16 sum could wrap.
        if (uint256(c) + uint256(m) + uint256(p) != MAX_BPS) revert InvalidFeeSplit(c, m, p);
        Params storage s = _params;
        emit FeeSplitChanged(s.contributorsBps, s.modelOwnerBps, s.protocolBps, c, m, p);
        s.contributorsBps = c;
        s.modelOwnerBps = m;
        s.protocolBps = p;
    }

    function _setChallengeWindowSeconds(uint64 seconds_) private {
        if (seconds_ < MIN_CHALLENGE_WINDOW || seconds_ > MAX_CHALLENGE_WINDOW) {
            revert ChallengeWindowOutOfRange(seconds_);
        }
        uint64 old = _params.challengeWindowSeconds;
        _params.challengeWindowSeconds = seconds_;
        emit ChallengeWindowChanged(old, seconds_);
    }

    function _setSlashingRates(uint16 contributorBps, uint16 providerBps) private {
        _checkBps(contributorBps);
        _checkBps(providerBps);
        Params storage s = _params;
        emit SlashingRatesChanged(s.contributorSlashBps, s.providerSlashBps, contributorBps, providerBps);
        s.contributorSlashBps = contributorBps;
        s.providerSlashBps = providerBps;
    }

    function _setTreasury(address newTreasury) private {
        if (newTreasury == address(0)) revert ZeroAddress();
        address old = _treasury;
        _treasury = newTreasury;
        emit TreasuryChanged(old, newTreasury);
    }

    function _checkBps(uint16 bps) private pure {
        if (bps > MAX_BPS) revert BpsOutOfRange(bps);
    }
}
