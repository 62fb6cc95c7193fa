// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {RLPReader} from "../../src/libraries/RLPReader.sol";

/// @notice External wrapper so that library reverts can be expected.
contract RLPReaderHarness {
    /// @notice readBytes over raw bytes.
    function readBytes(bytes memory data) external pure returns (bytes memory) {
        return RLPReader.readBytes(data);
    }

    /// @notice readList, returning each element's raw encoding.
    function readList(bytes memory data) external pure returns (bytes[] memory out) {
        RLPReader.RLPItem[] memory items = RLPReader.readList(data);
        out = new bytes[](items.length);
        for (uint256 i = 0; i < items.length; ++i) {
            out[i] = RLPReader.readRawBytes(items[i]);
        }
    }

    /// @notice isList over raw bytes.
    function isList(bytes memory data) external pure returns (bool) {
        return RLPReader.isList(RLPReader.toRLPItem(data));
    }
}

/// @notice RLPReader: Yellow Paper examples, canonical-form checks and round trips.
contract RLPReaderTest is Test {
    RLPReaderHarness internal h;

    function setUp() public {
        h = new RLPReaderHarness();
    }

    // Yellow Paper / wiki examples.
    function test_ReadsStrings() public view {
        assertEq(h.readBytes(hex"00"), hex"00");
        assertEq(h.readBytes(hex"7f"), hex"7f");
        assertEq(h.readBytes(hex"80"), hex"");
        assertEq(h.readBytes(hex"8180"), hex"80");
        assertEq(h.readBytes(hex"83646f67"), bytes("dog"));
        bytes memory lorem = bytes("Lorem ipsum dolor sit amet, consectetur adipisicing elit");
        assertEq(h.readBytes(abi.encodePacked(hex"b838", lorem)), lorem);
    }

    function test_ReadsLists() public view {
        bytes[] memory items = h.readList(hex"c88363617483646f67"); // ["cat", "dog"]
        assertEq(items.length, 2);
        assertEq(items[0], hex"83636174");
        assertEq(items[1], hex"83646f67");
        assertEq(h.readList(hex"c0").length, 0);
        // [ [], [[]], [ [], [[]] ] ]
        items = h.readList(hex"c7c0c1c0c3c0c1c0");
        assertEq(items.length, 3);
        assertEq(items[2], hex"c3c0c1c0");
        assertTrue(h.isList(hex"c0"));
        assertFalse(h.isList(hex"80"));
    }

    function test_ReadsLongList() public view {
        bytes memory payload = new bytes(60); // sixty single-byte zero items
        bytes[] memory items = h.readList(abi.encodePacked(hex"f83c", payload));
        assertEq(items.length, 60);
        assertEq(items[59], hex"00");
    }

    function test_RevertWhen_Empty() public {
        vm.expectRevert(RLPReader.EmptyItem.selector);
        h.readBytes(hex"");
    }

    function test_RevertWhen_TooShort() public {
        vm.expectRevert(RLPReader.ItemTooShort.selector);
        h.readBytes(hex"830102");
        vm.expectRevert(RLPReader.ItemTooShort.selector);
        h.readList(hex"c30102");
        vm.expectRevert(RLPReader.ItemTooShort.selector);
        h.readBytes(hex"b8"); // long form with its length byte missing
        vm.expectRevert(RLPReader.ItemTooShort.selector);
        h.readBytes(abi.encodePacked(hex"b838", new bytes(55)));
        vm.expectRevert(RLPReader.ItemTooShort.selector);
        h.readList(abi.encodePacked(hex"f838", new bytes(55)));
        // A list whose last element runs past the list's end.
        vm.expectRevert(RLPReader.ItemTooShort.selector);
        h.readList(hex"c3830102");
    }

    function test_RevertWhen_TrailingBytes() public {
        vm.expectRevert(RLPReader.TrailingBytes.selector);
        h.readBytes(hex"0102");
        vm.expectRevert(RLPReader.TrailingBytes.selector);
        h.readList(hex"c00102");
    }

    function test_RevertWhen_NonCanonical() public {
        vm.expectRevert(RLPReader.NonCanonicalEncoding.selector);
        h.readBytes(hex"8105"); // 0x05 must encode as itself
        vm.expectRevert(RLPReader.NonCanonicalEncoding.selector);
        h.readBytes(hex"b803646f67"); // long form for 3 bytes
        vm.expectRevert(RLPReader.NonCanonicalEncoding.selector);
        h.readBytes(abi.encodePacked(hex"b90038", new bytes(56))); // length with a leading zero
        vm.expectRevert(RLPReader.NonCanonicalEncoding.selector);
        h.readList(hex"f800"); // long list form for an empty list
    }

    function test_RevertWhen_WrongKind() public {
        vm.expectRevert(RLPReader.NotAList.selector);
        h.readList(hex"83646f67");
        vm.expectRevert(RLPReader.NotAString.selector);
        h.readBytes(hex"c0");
    }

    function testFuzz_StringRoundTrip(bytes memory data) public view {
        assertEq(h.readBytes(_encodeBytes(data)), data);
    }

    function testFuzz_ListRoundTrip(bytes memory a, bytes memory b, bytes memory c) public view {
        bytes memory ea = _encodeBytes(a);
        bytes memory eb = _encodeBytes(b);
        bytes memory ec = _encodeBytes(c);
        bytes memory payload = abi.encodePacked(ea, eb, ec);
        bytes[] memory items = h.readList(abi.encodePacked(_prefix(0xc0, payload.length), payload));
        assertEq(items.length, 3);
        assertEq(items[0], ea);
        assertEq(items[1], eb);
        assertEq(items[2], ec);
        assertEq(h.readBytes(items[1]), b);
    }

    // A reference encoder, written from the Yellow Paper's definition.
    function _encodeBytes(bytes memory data) internal pure returns (bytes memory) {
        if (data.length == 1 && uint8(data[0]) < 0x80) return data;
        return abi.encodePacked(_prefix(0x80, data.length), data);
    }

    function _prefix(uint8 base, uint256 length) internal pure returns (bytes memory) {
        if (length < 56) return abi.encodePacked(uint8(base + length));
        uint256 n;
        for (uint256 l = length; l > 0; l >>= 8) {
            ++n;
        }
        bytes memory lengthBytes = new bytes(n);
        for (uint256 i = 0; i < n; ++i) {
            lengthBytes[n - 1 - i] = bytes1(uint8(length >> (8 * i)));
        }
        return abi.encodePacked(uint8(base + 55 + n), lengthBytes);
    }
}
