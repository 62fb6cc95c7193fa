// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {RLPReader} from "./RLPReader.sol";

/// @title MerkleTrie
/// @notice Verifies Merkle-Patricia trie inclusion proofs (Ethereum Yellow Paper, appendix D)
/// as returned by `eth_getProof`: the nodes on the path from the root to the key, root first,
/// each RLP-encoded. A node is referenced by its parent through keccak256 of its encoding, or,
/// when that encoding is shorter than 32 bytes, embedded in the parent itself ("inline"); inline
/// nodes are walked in place, whether or not the proof repeats them as separate elements.
/// @dev Node kinds: a branch is a 17-item list (16 children by next nibble, then a value); a
/// leaf or extension is a 2-item list whose first item is the hex-prefix encoded path (flag
/// nibble: 0/1 extension with even/odd length, 2/3 leaf with even/odd length). The walk fails
/// closed: any node that does not match its reference, is malformed, or leaves the key unproven
/// reverts, and the proof must end exactly at the node holding the value.
library MerkleTrie {
    using RLPReader for RLPReader.RLPItem;

    /// @dev Items in a branch node: 16 children and a value.
    uint256 private constant BRANCH_NODE_LENGTH = 17;
    /// @dev Items in a leaf or extension node: encoded path and value/child.
    uint256 private constant PATH_NODE_LENGTH = 2;

    /// @notice The proof has no nodes.
    error EmptyProof();
    /// @notice Proof node `proofIndex` does not hash to the reference that points at it (for
    /// index 0: the root).
    /// @param proofIndex The offending proof element.
    error InvalidNodeHash(uint256 proofIndex);
    /// @notice A node is not a well-formed trie node (wrong item count, bad path prefix, empty
    /// extension, bad child reference, oversized inline node, empty leaf value).
    error MalformedNode();
    /// @notice The proof shows that the key is not in the trie (the path leads to an empty
    /// branch slot, diverges from a leaf or extension, or ends at a branch without a value).
    error KeyNotFound();
    /// @notice The walk needs a node that the proof does not contain.
    error ProofTooShort();
    /// @notice The value was found before the end of the proof; extra nodes are not allowed.
    /// @param unusedNodes How many proof elements were left over.
    error ProofTooLong(uint256 unusedNodes);

    /// @notice The value stored under `key` in the trie with root `root`.
    /// @param key The raw key (its nibbles are the path).
    /// @param proof The RLP-encoded nodes from the root towards the key, root first.
    /// @param root The trie's root hash.
    /// @return value The value bytes stored under `key` (for state and storage tries, itself an
    /// RLP encoding of the account or storage word). Reverts if the proof does not show it.
    function get(bytes memory key, bytes[] memory proof, bytes32 root) internal pure returns (bytes memory value) {
        if (proof.length == 0) revert EmptyProof();
        bytes memory path = _toNibbles(key);
        uint256 pathIndex;
        RLPReader.RLPItem memory node = _hashedNode(proof, 0, root);
        uint256 proofIndex = 1;

        while (true) {
            RLPReader.RLPItem[] memory items = node.readList();
            RLPReader.RLPItem memory child;

            if (items.length == BRANCH_NODE_LENGTH) {
                if (pathIndex == path.length) {
                    // The key ends at this branch: its value slot holds the value, if any.
                    value = items[16].readBytes();
                    if (value.length == 0) revert KeyNotFound();
                    _checkFullyUsed(proofIndex, proof.length);
                    return value;
                }
                child = items[uint8(path[pathIndex])];
                pathIndex += 1;
            } else if (items.length == PATH_NODE_LENGTH) {
                (bool isLeaf, bytes memory nodePath) = _decodeHexPrefix(items[0].readBytes());
                if (!_pathContinuesWith(path, pathIndex, nodePath)) revert KeyNotFound();
                pathIndex += nodePath.length;
                if (isLeaf) {
                    if (pathIndex != path.length) revert KeyNotFound();
                    value = items[1].readBytes();
                    if (value.length == 0) revert MalformedNode();
                    _checkFullyUsed(proofIndex, proof.length);
                    return value;
                }
                // An extension always has a non-empty path and leads to a branch.
                if (nodePath.length == 0) revert MalformedNode();
                child = items[1];
            } else {
                revert MalformedNode();
            }

            if (child.isList()) {
                // Inline node: its encoding is embedded in the parent, and only encodings
                // shorter than 32 bytes may be embedded.
                if (child.length >= 32) revert MalformedNode();
                node = child;
                // geth's eth_getProof leaves embedded nodes out of the proof; other provers
                // (and OP's verifier) repeat them as their own elements. Accept both: a copy
                // that is byte-identical to the embedded node adds nothing and is skipped.
                if (proofIndex < proof.length && keccak256(proof[proofIndex]) == keccak256(child.readRawBytes())) {
                    proofIndex += 1;
                }
            } else {
                bytes memory ref = child.readBytes();
                // An empty branch slot means no key continues this way; an extension's child
                // is never empty.
                if (ref.length == 0 && items.length == BRANCH_NODE_LENGTH) revert KeyNotFound();
                if (ref.length != 32) revert MalformedNode();
                if (proofIndex == proof.length) revert ProofTooShort();
                // forge-lint: disable-next-line(unsafe-typecast)
                node = _hashedNode(proof, proofIndex, bytes32(ref)); // exactly 32 bytes, checked above
                proofIndex += 1;
            }
        }
    }

    /// @notice `get` in a secure trie (state and storage tries), whose paths are
    /// keccak256(key) rather than the key itself.
    /// @param key The raw key: a 20-byte address in the state trie, a 32-byte slot in a
    /// storage trie.
    /// @param proof The RLP-encoded nodes from the root towards the hashed key, root first.
    /// @param root The trie's root hash.
    /// @return The value bytes stored under `key`.
    function getSecure(bytes memory key, bytes[] memory proof, bytes32 root) internal pure returns (bytes memory) {
        return get(abi.encodePacked(keccak256(key)), proof, root);
    }

    /// @dev Proof element `index`, checked against the hash that references it.
    function _hashedNode(bytes[] memory proof, uint256 index, bytes32 expectedHash)
        private
        pure
        returns (RLPReader.RLPItem memory)
    {
        bytes memory encoded = proof[index];
        if (keccak256(encoded) != expectedHash) revert InvalidNodeHash(index);
        return RLPReader.toRLPItem(encoded);
    }

    /// @dev A value is only proven by a proof that ends at the node holding it.
    function _checkFullyUsed(uint256 used, uint256 total) private pure {
        if (used != total) revert ProofTooLong(total - used);
    }

    /// @dev Splits bytes into nibbles, high nibble first.
    function _toNibbles(bytes memory data) private pure returns (bytes memory nibbles) {
        nibbles = new bytes(data.length * 2);
        for (uint256 i = 0; i < data.length; ++i) {
            uint8 b = uint8(data[i]);
            nibbles[2 * i] = bytes1(b >> 4);
            nibbles[2 * i + 1] = bytes1(b & 0x0f);
        }
    }

    /// @dev Decodes a hex-prefix encoded path (Yellow Paper appendix C) into nibbles and the
    /// leaf flag. The first nibble is the flag (bit 1: leaf, bit 0: odd length); with an even
    /// length the second nibble is padding and must be zero.
    function _decodeHexPrefix(bytes memory encoded) private pure returns (bool isLeaf, bytes memory nibbles) {
        if (encoded.length == 0) revert MalformedNode();
        uint8 first = uint8(encoded[0]);
        uint8 flag = first >> 4;
        if (flag > 3) revert MalformedNode();
        bool odd = (flag & 1) == 1;
        isLeaf = (flag & 2) == 2;
        if (!odd && (first & 0x0f) != 0) revert MalformedNode();

        nibbles = new bytes((encoded.length - 1) * 2 + (odd ? 1 : 0));
        uint256 j;
        if (odd) {
            nibbles[0] = bytes1(first & 0x0f);
            j = 1;
        }
        for (uint256 i = 1; i < encoded.length; ++i) {
            uint8 b = uint8(encoded[i]);
            nibbles[j] = bytes1(b >> 4);
            nibbles[j + 1] = bytes1(b & 0x0f);
            j += 2;
        }
    }

    /// @dev Whether `path[start:]` begins with `segment`.
    function _pathContinuesWith(bytes memory path, uint256 start, bytes memory segment) private pure returns (bool) {
        if (path.length - start < segment.length) return false;
        for (uint256 i = 0; i < segment.length; ++i) {
            if (path[start + i] != segment[i]) return false;
        }
        return true;
    }
}
