// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title GOpen ("Governance OPEN", gOPEN)
/// @notice Wraps L2 native OPEN 1:1 as an ERC20Votes token so that L2 holders can delegate and
/// vote in OpenGovernor. Native OPEN is the L2 gas coin and has no checkpoints of its own, hence
/// the wrapper (the WETH9 pattern plus vote checkpoints). Depositing mints gOPEN for the sent
/// value; withdrawing burns gOPEN and sends the same amount of native OPEN back.
/// @dev Invariant: `totalSupply() == address(this).balance`, because only `deposit*` mints (for
/// exactly `msg.value`) and only `withdraw*` burns (sending exactly the burnt amount). The one
/// way to break equality is native OPEN forced in without a call (SELFDESTRUCT to this address or
/// a block reward); it can only make the balance larger, so every gOPEN stays fully backed.
///
/// The clock is the block TIMESTAMP (ERC-6372 `mode=timestamp`), not the block number: the L2
/// sequencer mines blocks when it has transactions (locally anvil `--no-mining`, driven per
/// batch), so block intervals are irregular and a voting period counted in blocks would have no
/// predictable duration. OpenGovernor reads this clock, so its voting delay and period are in
/// seconds.
contract GOpen is ERC20, ERC20Permit, ERC20Votes, ReentrancyGuardTransient {
    /// @notice Native OPEN was wrapped.
    /// @param from Who paid the native OPEN.
    /// @param to Who received the gOPEN.
    /// @param amount Amount wrapped (wei).
    event Deposit(address indexed from, address indexed to, uint256 amount);

    /// @notice gOPEN was unwrapped.
    /// @param from Whose gOPEN was burnt.
    /// @param to Who received the native OPEN.
    /// @param amount Amount unwrapped (wei).
    event Withdrawal(address indexed from, address indexed to, uint256 amount);

    /// @notice A deposit or withdrawal of zero.
    error ZeroAmount();

    /// @notice The recipient is the zero address.
    error ZeroAddress();

    /// @notice Sending native OPEN to the recipient failed (it reverted or has no payable entry).
    /// @param to The recipient.
    /// @param amount The amount that could not be sent.
    error NativeTransferFailed(address to, uint256 amount);

    /// @notice Names the token "Governance OPEN" / "gOPEN"; the permit domain uses the same name.
    constructor() ERC20("Governance OPEN", "gOPEN") ERC20Permit("Governance OPEN") {}

    /// @notice Wraps the sent native OPEN; same as `deposit()`, so a plain transfer works.
    receive() external payable {
        _deposit(msg.sender);
    }

    /// @notice Wraps `msg.value` native OPEN into gOPEN for the caller.
    /// @dev Voting power needs a delegation (`delegate(self)`), as with every ERC20Votes token.
    function deposit() external payable {
        _deposit(msg.sender);
    }

    /// @notice Wraps `msg.value` native OPEN into gOPEN for `to`.
    /// @param to Who receives the gOPEN (non-zero).
    function depositFor(address to) external payable {
        _deposit(to);
    }

    /// @notice Burns `amount` of the caller's gOPEN and sends as much native OPEN to the caller.
    /// @param amount Amount to unwrap (wei, non-zero, at most the caller's balance).
    function withdraw(uint256 amount) external nonReentrant {
        _withdraw(payable(msg.sender), amount);
    }

    /// @notice Burns `amount` of the caller's gOPEN and sends as much native OPEN to `to`.
    /// @param to Who receives the native OPEN (non-zero).
    /// @param amount Amount to unwrap (wei, non-zero, at most the caller's balance).
    function withdrawTo(address payable to, uint256 amount) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _withdraw(to, amount);
    }

    /// @notice The ERC-6372 clock: the current block timestamp (see the contract note).
    /// @return The block timestamp as uint48.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice The ERC-6372 clock mode.
    /// @return "mode=timestamp".
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @notice The next permit nonce of `owner` (ERC20Permit and Votes share the Nonces store).
    /// @param owner The account.
    /// @return The nonce.
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    function _deposit(address to) private {
        if (msg.value == 0) revert ZeroAmount();
        if (to == address(0)) revert ZeroAddress();
        _mint(to, msg.value);
        emit Deposit(msg.sender, to, msg.value);
    }

    function _withdraw(address payable to, uint256 amount) private {
        if (amount == 0) revert ZeroAmount();
        // Effects first: _burn reverts with ERC20InsufficientBalance when the caller has too
        // little, and moves the vote checkpoints, before any native OPEN leaves.
        _burn(msg.sender, amount);
        emit Withdrawal(msg.sender, to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert NativeTransferFailed(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}
