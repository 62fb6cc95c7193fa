// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Capped} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Capped.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title OpenToken
/// @notice The OPEN token on L1 ("OpenLedger", "OPEN", 18 decimals): an ERC20 with EIP-2612
/// permits, ERC20Votes delegation and checkpoints, and a supply cap fixed at deployment.
/// `OpenPortal` locks it to mint native OPEN (gas) on L2.
/// @dev Clock: the EIP-6372 clock is the block TIMESTAMP (`CLOCK_MODE() == "mode=timestamp"`),
/// not the block number, so vote checkpoints are keyed by seconds. Timestamps mean the same
/// thing on L1 and on the L2 (whose block cadence the sequencer sets), which keeps governance
/// periods comparable across the two chains. Not upgradeable.
contract OpenToken is ERC20, ERC20Permit, ERC20Capped, ERC20Votes, AccessControl {
    /// @notice Role allowed to mint new OPEN, never beyond `cap()`. Not granted at
    /// deployment: the admin grants it deliberately (least privilege).
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice The admin passed to the constructor was the zero address, which would leave
    /// the roles unmanageable forever.
    error ZeroAdmin();

    /// @notice The cap is above what ERC20Votes can checkpoint (`type(uint208).max`), so part
    /// of it could never be minted; rejected at deployment rather than failing on a late mint.
    /// @param cap The requested cap.
    /// @param maxCap The largest cap this token accepts.
    error CapAboveVotesLimit(uint256 cap, uint256 maxCap);

    /// @notice Deploys the token, grants `DEFAULT_ADMIN_ROLE` to `admin` and mints
    /// `initialSupply` to `initialHolder`.
    /// @param admin Holder of `DEFAULT_ADMIN_ROLE` (grants and revokes `MINTER_ROLE`).
    /// @param initialHolder Receives the initial supply; may be zero only if `initialSupply` is zero.
    /// @param initialSupply OPEN (in wei units) minted at deployment; must not exceed `cap_`.
    /// @param cap_ The immutable maximum total supply; non-zero and at most `type(uint208).max`.
    constructor(address admin, address initialHolder, uint256 initialSupply, uint256 cap_)
        ERC20("OpenLedger", "OPEN")
        ERC20Permit("OpenLedger")
        ERC20Capped(cap_)
    {
        if (admin == address(0)) revert ZeroAdmin();
        if (cap_ > _maxSupply()) revert CapAboveVotesLimit(cap_, _maxSupply());
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        // _mint goes through _update, so the cap (ERC20Capped) applies to the initial supply too.
        if (initialSupply > 0) _mint(initialHolder, initialSupply);
    }

    /// @notice Mints `amount` OPEN to `to`; reverts with `ERC20ExceededCap` past the cap.
    /// @param to Recipient (not the zero address).
    /// @param amount Amount in wei units.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @notice EIP-6372 clock: the current block timestamp.
    /// @return The block timestamp as a uint48.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice EIP-6372 clock description: checkpoints are keyed by timestamp.
    /// @return The machine-readable clock mode string.
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    /// @notice The next permit / delegateBySig nonce of `owner` (one counter shared by both).
    /// @param owner The account whose nonce is read.
    /// @return The current nonce.
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @dev Every balance change moves voting units (ERC20Votes) and every mint is checked
    /// against the cap (ERC20Capped). ERC20Capped is listed before ERC20Votes, so the chain is
    /// ERC20Votes -> ERC20Capped -> ERC20: the cap check runs before ERC20Votes' own
    /// uint208 safe-supply check, and since the cap is at most type(uint208).max a mint past
    /// the cap always fails with the one error `ERC20ExceededCap`.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Capped, ERC20Votes) {
        super._update(from, to, value);
    }
}
