// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title RLPReader
/// @notice Decodes Recursive Length Prefix data (Ethereum Yellow Paper, appendix B) in memory
/// without copying until a value is read. Decoding is strict: an item must be exactly one
/// canonical RLP value, because Merkle-Patricia proofs are only sound if every node has one
/// encoding (a lenient reader could accept two different byte strings as "the same" node).
/// @dev An item is a window `[ptr, ptr + length)` into memory that holds one whole RLP value
/// (prefix included). Every read checks that the value's prefix and length fit the window.
library RLPReader {
    /// @notice One RLP value in memory: `length` bytes from memory address `ptr`.
    struct RLPItem {
        uint256 length;
        uint256 ptr;
    }

    /// @notice The two kinds of RLP value.
    enum RLPItemType {
        DATA_ITEM,
        LIST_ITEM
    }

    /// @notice The input was empty: every RLP value has at least one byte.
    error EmptyItem();
    /// @notice A prefix announces more bytes than the item holds.
    error ItemTooShort();
    /// @notice The item holds bytes after the value its prefix announces.
    error TrailingBytes();
    /// @notice A value is not in its one canonical form (a single byte below 0x80 behind a
    /// prefix, a long form for fewer than 56 bytes, or a length with leading zeros).
    error NonCanonicalEncoding();
    /// @notice A list was expected and a byte string was found.
    error NotAList();
    /// @notice A byte string was expected and a list was found.
    error NotAString();

    /// @notice Wraps `data`, which must hold exactly one RLP value, as an item.
    /// @param data The encoded value.
    /// @return item A window over `data`'s bytes (no copy; `data` must outlive it).
    function toRLPItem(bytes memory data) internal pure returns (RLPItem memory item) {
        if (data.length == 0) revert EmptyItem();
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := add(data, 0x20)
        }
        item = RLPItem({length: data.length, ptr: ptr});
    }

    /// @notice Whether the item is a list.
    /// @param item The item.
    /// @return True for a list, false for a byte string.
    function isList(RLPItem memory item) internal pure returns (bool) {
        (,, RLPItemType itemType) = _decodeLength(item);
        return itemType == RLPItemType.LIST_ITEM;
    }

    /// @notice Splits a list into its elements (windows into the same memory).
    /// @param item An item holding exactly one RLP list.
    /// @return items The list's elements, each exactly one RLP value.
    function readList(RLPItem memory item) internal pure returns (RLPItem[] memory items) {
        (uint256 offset, uint256 length, RLPItemType itemType) = _decodeLength(item);
        if (itemType != RLPItemType.LIST_ITEM) revert NotAList();
        if (offset + length != item.length) revert TrailingBytes();

        uint256 start = item.ptr + offset;
        // First pass counts the elements so the array is allocated once at its exact size.
        uint256 count;
        uint256 consumed;
        while (consumed < length) {
            (uint256 o, uint256 l,) = _decodeLength(RLPItem({length: length - consumed, ptr: start + consumed}));
            consumed += o + l;
            ++count;
        }
        items = new RLPItem[](count);
        consumed = 0;
        for (uint256 i = 0; i < count; ++i) {
            (uint256 o, uint256 l,) = _decodeLength(RLPItem({length: length - consumed, ptr: start + consumed}));
            items[i] = RLPItem({length: o + l, ptr: start + consumed});
            consumed += o + l;
        }
    }

    /// @notice Splits encoded bytes holding exactly one RLP list into its elements.
    /// @param data The encoded list.
    /// @return The list's elements (windows into `data`).
    function readList(bytes memory data) internal pure returns (RLPItem[] memory) {
        return readList(toRLPItem(data));
    }

    /// @notice The payload of a byte-string item.
    /// @param item An item holding exactly one RLP byte string.
    /// @return out A copy of the string's bytes (prefix removed).
    function readBytes(RLPItem memory item) internal pure returns (bytes memory out) {
        (uint256 offset, uint256 length, RLPItemType itemType) = _decodeLength(item);
        if (itemType != RLPItemType.DATA_ITEM) revert NotAString();
        if (offset + length != item.length) revert TrailingBytes();
        out = _copy(item.ptr + offset, length);
    }

    /// @notice The payload of encoded bytes holding exactly one RLP byte string.
    /// @param data The encoded string.
    /// @return The string's bytes.
    function readBytes(bytes memory data) internal pure returns (bytes memory) {
        return readBytes(toRLPItem(data));
    }

    /// @notice The whole encoding of an item, prefix included (e.g. an embedded trie node).
    /// @param item An item holding exactly one RLP value.
    /// @return out A copy of the item's bytes.
    function readRawBytes(RLPItem memory item) internal pure returns (bytes memory out) {
        (uint256 offset, uint256 length,) = _decodeLength(item);
        if (offset + length != item.length) revert TrailingBytes();
        out = _copy(item.ptr, item.length);
    }

    /// @dev Decodes the prefix at the start of `item`: where the payload starts (`offset`),
    /// how long it is (`length`) and its kind. Checks that the payload fits in the item and
    /// that the prefix is canonical; the caller decides whether bytes may follow the value.
    function _decodeLength(RLPItem memory item)
        private
        pure
        returns (uint256 offset, uint256 length, RLPItemType itemType)
    {
        if (item.length == 0) revert EmptyItem();
        uint256 ptr = item.ptr;
        uint256 prefix;
        assembly ("memory-safe") {
            prefix := byte(0, mload(ptr))
        }

        if (prefix <= 0x7f) {
            // A single byte below 0x80 is its own encoding.
            return (0, 1, RLPItemType.DATA_ITEM);
        }
        if (prefix <= 0xb7) {
            // Short string: 0-55 bytes follow.
            length = prefix - 0x80;
            if (item.length <= length) revert ItemTooShort();
            if (length == 1) {
                uint256 firstByte;
                assembly ("memory-safe") {
                    firstByte := byte(0, mload(add(ptr, 1)))
                }
                // One byte below 0x80 must be encoded as itself, not behind 0x81.
                if (firstByte < 0x80) revert NonCanonicalEncoding();
            }
            return (1, length, RLPItemType.DATA_ITEM);
        }
        if (prefix <= 0xbf) {
            // Long string: the next (prefix - 0xb7) bytes give its length.
            uint256 lengthOfLength = prefix - 0xb7;
            length = _readLongLength(item, lengthOfLength);
            return (1 + lengthOfLength, length, RLPItemType.DATA_ITEM);
        }
        if (prefix <= 0xf7) {
            // Short list: 0-55 payload bytes follow.
            length = prefix - 0xc0;
            if (item.length <= length) revert ItemTooShort();
            return (1, length, RLPItemType.LIST_ITEM);
        }
        // Long list: the next (prefix - 0xf7) bytes give its payload length.
        uint256 listLengthOfLength = prefix - 0xf7;
        length = _readLongLength(item, listLengthOfLength);
        return (1 + listLengthOfLength, length, RLPItemType.LIST_ITEM);
    }

    /// @dev Reads the big-endian length of a long string or list (1-8 bytes after the prefix)
    /// and checks it is canonical (no leading zero, at least 56) and fits in the item.
    function _readLongLength(RLPItem memory item, uint256 lengthOfLength) private pure returns (uint256 length) {
        if (item.length <= lengthOfLength) revert ItemTooShort();
        uint256 ptr = item.ptr;
        uint256 firstByte;
        assembly ("memory-safe") {
            let word := mload(add(ptr, 1))
            firstByte := byte(0, word)
            length := shr(mul(8, sub(32, lengthOfLength)), word)
        }
        if (firstByte == 0 || length < 56) revert NonCanonicalEncoding();
        // `lengthOfLength` is at most 8, so `length < 2**64` and none of this overflows.
        if (item.length - 1 - lengthOfLength < length) revert ItemTooShort();
    }

    /// @dev Copies `length` bytes from memory address `src` into a new bytes array.
    function _copy(uint256 src, uint256 length) private pure returns (bytes memory out) {
        out = new bytes(length);
        assembly ("memory-safe") {
            mcopy(add(out, 0x20), src, length)
        }
    }
}
