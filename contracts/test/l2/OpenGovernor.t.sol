// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {GOpen} from "../../src/l2/GOpen.sol";
import {OpenGovernor} from "../../src/l2/OpenGovernor.sol";
import {ProtocolParams} from "../../src/l2/ProtocolParams.sol";
import {Params} from "../../src/interfaces/IProtocolParams.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IGovernor} from "@openzeppelin/contracts/governance/IGovernor.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/// @notice The whole governance path, wired as the deploy module wires it: gOPEN holders propose,
/// vote, queue and execute a change of ProtocolParams through the TimelockController.
contract OpenGovernorTest is Test {
    uint48 internal constant VOTING_DELAY = 1 hours;
    uint32 internal constant VOTING_PERIOD = 3 days;
    uint256 internal constant PROPOSAL_THRESHOLD = 1 ether;
    uint256 internal constant QUORUM_PERCENT = 4;
    uint256 internal constant TIMELOCK_DELAY = 1 days;

    GOpen internal g;
    TimelockController internal timelock;
    OpenGovernor internal governor;
    ProtocolParams internal pp;

    address internal alice; // 60 gOPEN
    address internal bob; // 30 gOPEN
    address internal carol; // 10 gOPEN
    address internal dave; // 0.5 gOPEN, below the proposal threshold

    function setUp() public {
        vm.warp(1_700_000_000);
        alice = makeAddr("alice");
        bob = makeAddr("bob");
        carol = makeAddr("carol");
        dave = makeAddr("dave");

        // Deployment and wiring, as the deploy module does it.
        g = new GOpen();
        address[] memory none = new address[](0);
        address[] memory anyone = new address[](1); // address(0): anyone may execute
        timelock = new TimelockController(TIMELOCK_DELAY, none, anyone, address(this));
        governor = new OpenGovernor(
            IVotes(address(g)), timelock, VOTING_DELAY, VOTING_PERIOD, PROPOSAL_THRESHOLD, QUORUM_PERCENT
        );
        timelock.grantRole(timelock.PROPOSER_ROLE(), address(governor));
        timelock.grantRole(timelock.CANCELLER_ROLE(), address(governor));
        timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), address(this));
        pp = new ProtocolParams(
            address(timelock),
            Params({
                attributionThresholdBps: 100,
                contributorsBps: 7000,
                modelOwnerBps: 2000,
                protocolBps: 1000,
                challengeWindowSeconds: 7 days,
                contributorSlashBps: 1000,
                providerSlashBps: 500
            })
        );

        _holder(alice, 60 ether);
        _holder(bob, 30 ether);
        _holder(carol, 10 ether);
        _holder(dave, 0.5 ether);
        vm.warp(block.timestamp + 1); // the delegations are now in the past
    }

    function _holder(address who, uint256 amount) internal {
        vm.deal(who, amount);
        vm.startPrank(who);
        g.deposit{value: amount}();
        g.delegate(who);
        vm.stopPrank();
    }

    function _proposal(uint16 bps)
        internal
        view
        returns (address[] memory targets, uint256[] memory values, bytes[] memory calldatas, string memory desc)
    {
        targets = new address[](1);
        targets[0] = address(pp);
        values = new uint256[](1);
        calldatas = new bytes[](1);
        calldatas[0] = abi.encodeCall(ProtocolParams.setAttributionThresholdBps, (bps));
        desc = "Raise the attribution threshold";
    }

    function test_wiring() public view {
        assertEq(governor.timelock(), address(timelock));
        assertEq(address(governor.token()), address(g));
        assertEq(governor.votingDelay(), VOTING_DELAY);
        assertEq(governor.votingPeriod(), VOTING_PERIOD);
        assertEq(governor.proposalThreshold(), PROPOSAL_THRESHOLD);
        assertEq(governor.quorumNumerator(), QUORUM_PERCENT);
        assertEq(governor.clock(), block.timestamp);
        assertEq(keccak256(bytes(governor.CLOCK_MODE())), keccak256("mode=timestamp"));
        assertEq(keccak256(bytes(governor.name())), keccak256("OpenGovernor"));
        assertTrue(timelock.hasRole(timelock.PROPOSER_ROLE(), address(governor)));
        assertTrue(timelock.hasRole(timelock.CANCELLER_ROLE(), address(governor)));
        assertTrue(timelock.hasRole(timelock.EXECUTOR_ROLE(), address(0)));
        assertFalse(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(this)));
        assertTrue(timelock.hasRole(timelock.DEFAULT_ADMIN_ROLE(), address(timelock)));
        assertTrue(pp.hasRole(pp.PARAMS_ADMIN_ROLE(), address(timelock)));
        // quorum: 4 % of the 100.5 gOPEN supply at the (past) timepoint
        assertEq(governor.quorum(block.timestamp - 1), (100.5 ether * QUORUM_PERCENT) / 100);
        assertTrue(governor.proposalNeedsQueuing(0));
    }

    function test_fullFlow_changesAttributionThreshold() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) = _proposal(250);
        bytes32 descHash = keccak256(bytes(d));

        vm.prank(alice);
        uint256 id = governor.propose(t, v, c, d);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Pending));
        assertEq(governor.proposalSnapshot(id), block.timestamp + VOTING_DELAY);

        // Voting has not started.
        vm.prank(bob);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorUnexpectedProposalState.selector,
                id,
                IGovernor.ProposalState.Pending,
                bytes32(1 << uint8(IGovernor.ProposalState.Active))
            )
        );
        governor.castVote(id, 1);

        vm.warp(block.timestamp + VOTING_DELAY + 1);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Active));
        vm.prank(alice);
        governor.castVote(id, 1); // for
        vm.prank(bob);
        governor.castVote(id, 0); // against
        vm.prank(carol);
        governor.castVote(id, 2); // abstain
        (uint256 against, uint256 forVotes, uint256 abstain) = governor.proposalVotes(id);
        assertEq(forVotes, 60 ether);
        assertEq(against, 30 ether);
        assertEq(abstain, 10 ether);

        vm.warp(block.timestamp + VOTING_PERIOD);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Succeeded));

        governor.queue(t, v, c, descHash);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Queued));
        assertEq(governor.proposalEta(id), block.timestamp + TIMELOCK_DELAY);

        // Not before the timelock delay: the timelock operation is Waiting, not Ready.
        bytes32 opId = timelock.hashOperationBatch(t, v, c, 0, bytes20(address(governor)) ^ descHash);
        assertTrue(timelock.isOperationPending(opId));
        vm.expectRevert(
            abi.encodeWithSelector(
                TimelockController.TimelockUnexpectedOperationState.selector,
                opId,
                bytes32(1 << uint8(TimelockController.OperationState.Ready))
            )
        );
        governor.execute(t, v, c, descHash);

        vm.warp(block.timestamp + TIMELOCK_DELAY);
        vm.prank(dave); // anyone may execute
        governor.execute(t, v, c, descHash);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Executed));
        assertEq(pp.attributionThresholdBps(), 250);
    }

    function test_directCalls_rejected() public {
        bytes memory denied = abi.encodeWithSelector(
            IAccessControl.AccessControlUnauthorizedAccount.selector, alice, keccak256("PARAMS_ADMIN_ROLE")
        );
        vm.prank(alice);
        vm.expectRevert(denied);
        pp.setAttributionThresholdBps(250);
        // nor can the governor itself bypass the timelock
        vm.prank(address(governor));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                address(governor),
                keccak256("PARAMS_ADMIN_ROLE")
            )
        );
        pp.setAttributionThresholdBps(250);
        // nor schedule on the timelock without a proposal
        bytes32 proposer = timelock.PROPOSER_ROLE();
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, alice, proposer)
        );
        timelock.schedule(
            address(pp), 0, abi.encodeCall(ProtocolParams.setAttributionThresholdBps, (250)), 0, 0, TIMELOCK_DELAY
        );
        assertEq(pp.attributionThresholdBps(), 100);
    }

    function test_propose_belowThresholdRejected() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) = _proposal(250);
        vm.prank(dave);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorInsufficientProposerVotes.selector, dave, 0.5 ether, PROPOSAL_THRESHOLD
            )
        );
        governor.propose(t, v, c, d);
    }

    function test_defeated_withoutQuorum_cannotQueue() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) = _proposal(250);
        vm.prank(alice);
        uint256 id = governor.propose(t, v, c, d);
        vm.warp(block.timestamp + VOTING_DELAY + 1);
        vm.prank(dave);
        governor.castVote(id, 1); // 0.5 of 100.5: below the 4 % quorum
        vm.warp(block.timestamp + VOTING_PERIOD);
        assertEq(uint256(governor.state(id)), uint256(IGovernor.ProposalState.Defeated));
        vm.expectRevert(
            abi.encodeWithSelector(
                IGovernor.GovernorUnexpectedProposalState.selector,
                id,
                IGovernor.ProposalState.Defeated,
                bytes32(1 << uint8(IGovernor.ProposalState.Succeeded))
            )
        );
        governor.queue(t, v, c, keccak256(bytes(d)));
        assertEq(pp.attributionThresholdBps(), 100);
    }

    function test_votesAtSnapshot_lateDepositsDoNotCount() public {
        (address[] memory t, uint256[] memory v, bytes[] memory c, string memory d) = _proposal(250);
        vm.prank(alice);
        uint256 id = governor.propose(t, v, c, d);
        vm.warp(block.timestamp + VOTING_DELAY + 1);
        address late = makeAddr("late");
        _holder(late, 1000 ether); // after the snapshot
        vm.prank(late);
        governor.castVote(id, 0);
        (uint256 against,,) = governor.proposalVotes(id);
        assertEq(against, 0);
    }
}
