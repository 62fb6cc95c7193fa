// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

contract Box {
    error ValueTooLarge(uint256 value, uint256 limit);
    error NotOwner(address caller);

    event Stored(address indexed by, uint256 value);

    uint256 public immutable limit;
    address public owner;
    uint256 public value;
    uint256 public bumps;

    constructor(uint256 limit_) {
        limit = limit_;
        owner = msg.sender;
    }

    function store(uint256 newValue) external {
        if (newValue > limit) revert ValueTooLarge(newValue, limit);
        value = newValue;
        emit Stored(msg.sender, newValue);
    }

    function bump() external {
        bumps += 1;
    }

    function fail(string calldata why) external pure {
        revert(why);
    }

    function onlyOwner() external view {
        if (msg.sender != owner) revert NotOwner(msg.sender);
    }
}
