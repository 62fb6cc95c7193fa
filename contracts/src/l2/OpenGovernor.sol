// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {
    GovernorVotesQuorumFraction
} from "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {GovernorTimelockControl} from "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// @title OpenGovernor
/// @notice OpenLedger's on-chain governance on L2: gOPEN holders (GOpen, delegated votes)
/// propose and vote; passed proposals are queued in and executed by an OpenZeppelin
/// `TimelockController`, which alone may change `ProtocolParams`.
/// @dev Plain OpenZeppelin composition; the overrides below only resolve the diamond between
/// Governor, GovernorSettings and GovernorTimelockControl and add nothing. The clock is the
/// token's (GovernorVotes reads `GOpen.clock()`), which is the block timestamp, so
/// `votingDelay` and `votingPeriod` are in SECONDS and quorum is taken from the gOPEN supply at
/// the proposal's snapshot time.
///
/// Expected wiring (done by the deploy module): the timelock grants PROPOSER_ROLE and
/// CANCELLER_ROLE to this governor and EXECUTOR_ROLE to address(0) (anyone executes a ready
/// operation), and its temporary admin renounces DEFAULT_ADMIN_ROLE, leaving the timelock
/// self-administered.
contract OpenGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorTimelockControl
{
    /// @notice Builds the governor "OpenGovernor".
    /// @param token The votes token (GOpen, timestamp clock).
    /// @param timelock The TimelockController that executes passed proposals.
    /// @param votingDelay_ Seconds between a proposal and the start of voting.
    /// @param votingPeriod_ Seconds voting stays open.
    /// @param proposalThreshold_ Votes (gOPEN wei) a proposer needs.
    /// @param quorumNumerator_ Quorum as a percentage of the gOPEN supply (denominator 100).
    constructor(
        IVotes token,
        TimelockController timelock,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 proposalThreshold_,
        uint256 quorumNumerator_
    )
        Governor("OpenGovernor")
        GovernorSettings(votingDelay_, votingPeriod_, proposalThreshold_)
        GovernorVotes(token)
        GovernorVotesQuorumFraction(quorumNumerator_)
        GovernorTimelockControl(timelock)
    {}

    /// @notice Seconds between a proposal and the start of voting.
    /// @return The voting delay.
    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    /// @notice Seconds voting stays open.
    /// @return The voting period.
    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    /// @notice Votes needed to propose.
    /// @return The proposal threshold in gOPEN wei.
    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    /// @notice A proposal's state, taking the timelock's operation state into account.
    /// @param proposalId The proposal.
    /// @return The state.
    function state(uint256 proposalId) public view override(Governor, GovernorTimelockControl) returns (ProposalState) {
        return super.state(proposalId);
    }

    /// @notice Whether a proposal must be queued before execution (always, through the timelock).
    /// @param proposalId The proposal.
    /// @return True.
    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
