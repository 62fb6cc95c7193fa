// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice The cheatcodes these tests use. forge-std cannot be installed here (no network beyond
/// the registries), so this is the subset of its `Vm` interface we need; the signatures are
/// forge's, served by the cheatcode address below.
interface Vm {
    function prank(address sender) external;
    function prank(address msgSender, address txOrigin) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function deal(address account, uint256 newBalance) external;
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function expectRevert() external;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(bool topic1, bool topic2, bool topic3, bool data) external;
    function expectEmit() external;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
    function assume(bool condition) external pure;
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function label(address account, string calldata newLabel) external;
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);
    function assertEq(uint256 left, uint256 right, string calldata message) external pure;
    function assertEq(int256 left, int256 right, string calldata message) external pure;
    function assertEq(address left, address right, string calldata message) external pure;
    function assertEq(bytes32 left, bytes32 right, string calldata message) external pure;
    function assertEq(bool left, bool right, string calldata message) external pure;
    function assertEq(bytes calldata left, bytes calldata right, string calldata message) external pure;
    function assertTrue(bool condition, string calldata message) external pure;
    function assertFalse(bool condition, string calldata message) external pure;
    function assertLe(uint256 left, uint256 right, string calldata message) external pure;
    function assertGe(uint256 left, uint256 right, string calldata message) external pure;
}

struct Log {
    bytes32[] topics;
    bytes data;
    address emitter;
}

/// @notice Base of every Solidity test here: the cheatcode handle, assertions and `bound`.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function assertEq(uint256 left, uint256 right) internal pure {
        vm.assertEq(left, right, "values differ");
    }

    function assertEq(uint256 left, uint256 right, string memory message) internal pure {
        vm.assertEq(left, right, message);
    }

    function assertEq(int256 left, int256 right) internal pure {
        vm.assertEq(left, right, "values differ");
    }

    function assertEq(address left, address right) internal pure {
        vm.assertEq(left, right, "addresses differ");
    }

    function assertEq(bytes32 left, bytes32 right) internal pure {
        vm.assertEq(left, right, "words differ");
    }

    function assertEq(bool left, bool right) internal pure {
        vm.assertEq(left, right, "booleans differ");
    }

    function assertEq(bytes memory left, bytes memory right) internal pure {
        vm.assertEq(left, right, "bytes differ");
    }

    function assertTrue(bool condition) internal pure {
        vm.assertTrue(condition, "expected true");
    }

    function assertTrue(bool condition, string memory message) internal pure {
        vm.assertTrue(condition, message);
    }

    function assertFalse(bool condition) internal pure {
        vm.assertFalse(condition, "expected false");
    }

    function assertLe(uint256 left, uint256 right) internal pure {
        vm.assertLe(left, right, "left > right");
    }

    function assertGe(uint256 left, uint256 right) internal pure {
        vm.assertGe(left, right, "left < right");
    }

    /// @dev Maps any fuzzed `x` into [min, max] without discarding runs (forge-std's rule).
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min + 1;
        return min + (x % size);
    }

    /// @dev A labelled address derived from a name, for readable traces.
    function makeAddr(string memory name) internal returns (address account) {
        account = vm.addr(uint256(keccak256(bytes(name))));
        vm.label(account, name);
    }
}
