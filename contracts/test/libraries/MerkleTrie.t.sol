// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {MerkleTrie} from "../../src/libraries/MerkleTrie.sol";
import {RLPReader} from "../../src/libraries/RLPReader.sol";
import {Hashing} from "../../src/libraries/Hashing.sol";
import {Types} from "../../src/libraries/Types.sol";

/// @title ProofVectors
/// @notice Real proofs captured from anvil 1.7.1 (`eth_getProof`), embedded so that the tests
/// stay offline and deterministic. How they were made: `src/l2/L2ToL1MessagePasser.sol` was
/// compiled with forge and deployed on a fresh `anvil` by its first dev account; with automine
/// off, 256 `initiateWithdrawal` calls were sent (withdrawal i: sender = dev account i % 3,
/// target = 0xA11CE000 + i, value = (i + 1) * 1e15, gasLimit = 100000 + i, data = i % 5 bytes
/// (7i + j) mod 256), then one block was mined and `eth_getProof(passer, [slots], block)` read.
/// The withdrawal fields come from the MessagePassed logs. A, B and C were chosen for their
/// path shapes; a 256-key storage trie is deep enough to contain extension nodes.
library ProofVectors {
    /// @notice The L2ToL1MessagePasser deployed on anvil.
    address internal constant PASSER = 0x5FbDB2315678afecb367f032d93F642f64180aa3;
    /// @notice The block the proofs were taken at (all 256 withdrawals were mined in it).
    uint256 internal constant BLOCK_NUMBER = 2;
    /// @notice That block's hash.
    bytes32 internal constant BLOCK_HASH = 0x4bfa82614f6bbb80a2cc1eea4dfdca16ab8b3234a73e4935402d170308fb3b08;
    /// @notice That block's state root.
    bytes32 internal constant STATE_ROOT = 0xbe2444414cfafd6b9b9118de53f8001275e3cdd17a777d4f541715b7f9f6f390;
    /// @notice The passer's storage root in that state (`storageHash` of eth_getProof).
    bytes32 internal constant STORAGE_ROOT = 0x7b4e74eb3fa7c700061961d041c8df2b4982f0017ffaf0652d0987840725fd03;
    /// @notice The passer's code hash.
    bytes32 internal constant CODE_HASH = 0x45e3fa10a9450b73f6fe36914198175ab23d9b98593e1e2b3bd361f0f4d62f07;
    /// @notice The passer's balance: the native OPEN held from the 256 withdrawals.
    uint256 internal constant BALANCE = 32896000000000000000;
    /// @notice The passer's account nonce.
    uint256 internal constant ACCOUNT_NONCE = 1;
    /// @notice Number of withdrawals initiated (the value of storage slot 1).
    uint256 internal constant WITHDRAWAL_COUNT = 256;

    /// @notice Withdrawal hash of withdrawal A, as emitted in MessagePassed.
    bytes32 internal constant WITHDRAWAL_A_HASH = 0xcf8f8ff384dc77b3eedbe4e9e4750c2441e16d32295bdc24e1a89e24ef1dc60c;
    /// @notice Withdrawal hash of withdrawal B, as emitted in MessagePassed.
    bytes32 internal constant WITHDRAWAL_B_HASH = 0xbc225d424af17263020c2d29fca98048c6d9b653e7827e2b2798232dce35393a;
    /// @notice Withdrawal hash of withdrawal C, as emitted in MessagePassed.
    bytes32 internal constant WITHDRAWAL_C_HASH = 0x12bf4040bc4f0e458f1e2377662d06613550d9c9e7842e34f1e482ff48fcf473;

    /// @notice The storage trie root node, shared by every storage proof.
    bytes internal constant STORAGE_ROOT_NODE =
        hex"f90211a0c2a07f99a37751b8566b8f398d0ab86ca227a2cb72eb06ee2377d46d649cd3eaa071d281834a47bc81f7af3fd96a71cc77e74cddd37887c14cc13afb52c827a719a0082435d1663fcc52a6043e128b75a42c39f7dd2e9f7c61dcf00488f60f67c38ea08a81f1342b2464ee99fc7fd273aa4cdb5ab53d3981739a1a12962d19ac6ff1fea05a0036651809e1ce3829f441a29490959bbbae8feae02ef2a9ace2c151d62534a034eec7265c1cd380dd6d500862667562180763239e30137d3ecac03f40d914eda0050e0c5c194dab267d6850eaf27faf053e10fdffd661d21a243682b66d109798a04562b9ff7628a763965302d650f7af2813a8857fa1c999588a94b9eef5b6e904a0ef16b47b0dc1b4b382ad913566ace0ea5de6f473578f28c02eb81386d1c8259fa014694767281d00c54fbcfc4df4b6e0c6332f3135afdfd6d9792e7caec204f3ffa06c81bb69b5dd2ee48f264b0854cdcfd902d9734c1ac1fbdbae493f66b574eebfa04431d65c32c151b50f6c9fc6e3c2414dd0f96b3ecfc28440d431da9a720902b9a0d3d65fea2cb2d686f72f0b89fd5b34669720a6951a983d7d8427f9be2ac42c78a0371c1c58d45416bbf0bb283019b7538ca380d3a36e4460e24320023ccd16b514a09f4406814a6fee47db59be882e92432922f6055aaa857ddbb809c3eda958b5e2a0a81c92bb4ff3c2652355b87b0dc135c4b82f01627198855bae3e05ce386effa080";

    /// @notice Withdrawal A (nonce 30): extension node on the path (branch, branch, extension, branch, leaf).
    function withdrawalA() internal pure returns (Types.WithdrawalTransaction memory) {
        return Types.WithdrawalTransaction({
            nonce: 0x100000000000000000000000000000000000000000000000000000000001e,
            sender: 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266,
            target: 0x00000000000000000000000000000000A11cE01e,
            value: 31000000000000000,
            gasLimit: 100030,
            data: hex""
        });
    }

    /// @notice Storage proof of withdrawal A's sentMessages slot.
    function withdrawalAProof() internal pure returns (bytes[] memory p) {
        p = new bytes[](5);
        p[0] = STORAGE_ROOT_NODE;
        p[1] =
            hex"f90171a0a7f10d28b5f9eb77c438a9e908590d9a0ca23ea942e4c396a325513cdcd148fba0643b760841eb9384131b4e37946489cc673ba28816134ed4a093489bb94aa4018080a0eb65a08b56545faeb3d68cb68108f9bbf04c5fe6a200e9a9fbd089a3b563b2f3a046f4c132acaf2412daae62928719f699b663d77c2867e1ea0cd1cd604ae6ba13a0579db01e36002fc14f668196b01ea872c9484518fa3811f29919c6d7956d91fda04ac09063e2c3142e5b063a834facae0b1d37994f82f8948f41ed5a2e50d1344980a04e53dcacfda002db487290704fc1e0ecf995841578a108c5b1ef91cd1db5960fa05bdf8a82402b3a5dc4ece99652b242c9bfc3d032593fccd5ffe2bf9f49e97d8980a059111aa664459fa2b48bfbbae4358ee3e9ba0270b317227d112cab7ca7cab655a04fd7c547da4a3a0616c8e0d8695ff353303c092057c6c892219983fd2925249e80a012e4d05ff385664d5093f9ada97219d07e6f71591b1bfdf64f4244de968a06c480";
        p[2] = hex"e210a0b7dd70053b6de007773bb71ea0a265c0f7dfdfbaaf36fce9c32884f3a1c98557";
        p[3] =
            hex"f85180808080a033e5ffc7bb5a095b498c041e473ec456e2fc5f10a01fefb61dfa7387422a7af380808080a0243e0cd5315674d1dccda7365ee3941069156458558a8bc6585331a28167b8f780808080808080";
        p[4] = hex"e19f20ab81342c0c5ef86e65c7a0fc32aa58ee2761e74e90dd64da9c4fa895699e01";
    }

    /// @notice Withdrawal B (nonce 109): deepest path, with an extension (branch x3, extension, branch, leaf), non-empty data.
    function withdrawalB() internal pure returns (Types.WithdrawalTransaction memory) {
        return Types.WithdrawalTransaction({
            nonce: 0x100000000000000000000000000000000000000000000000000000000006d,
            sender: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8,
            target: 0x00000000000000000000000000000000a11Ce06D,
            value: 110000000000000000,
            gasLimit: 100109,
            data: hex"fbfcfdfe"
        });
    }

    /// @notice Storage proof of withdrawal B's sentMessages slot.
    function withdrawalBProof() internal pure returns (bytes[] memory p) {
        p = new bytes[](6);
        p[0] = STORAGE_ROOT_NODE;
        p[1] =
            hex"f90191a0208569a3eed2026ec214fd68d57b57906cf63d2c84a8a161bfe390835714b46da0b476242ab8bf47fc70c3681f171b54b5db79b99a2d8773bc50520f3af8c07bc88080a078cc346adaa6b26ce0be6a68745307daab4db93efbb2fe9696d719259ee6ca15a0c8ffc04ffa60e02800b41e12ec934fdb584e02eaf1c82ccc0d0c636f3b3501d0a0c18ff266e712907321d203db0d15faba90157be71590c5b3c0fb1aff0558bc2da0f17ead04a862dd23a6b8b6caa12bb43ac79ea95cace7862182897198081562bfa093e2e6bba9070550ba2cccb41c73c6b9b226b0c423d28a784f668b45d688a66fa0c665fbc848931559aea921e0d39189baa939a93aa1553dfa0ba4841463178b57a09985198aa5cfff9640cc8b05ad2a04a28cd5798208925a8a2d768eccc01d1622a06021274675aaecb0879c12ec5312ba37ddd92ffeb0a49874fcf7f4e7004784c38080a0d732482a3dbf336c5d68f589523e0aa90d7596bd986b29dfa6766a7c0bf391ffa072c07e285c5fd9c0933bc3b1636362f1ead4e58efd2104beec4ccee77a659d2280";
        p[2] =
            hex"f8918080a01417f0ee06dd893758fdc0e95f20a22d6af558d63721cb6d06141ddcddf6d10d80a0e91abf2428bc9014bf04fa9f923a26a119804fea1c8c4a364f76a9fe3a0dcbc2808080a0686df97c90051deb6d25498c7cb786b0e71c6ae4402bac5a2dc84f3654da14f9808080808080a010ba39680439049521d8415df159d9791fb373b95f96859615875e0e4cd318c280";
        p[3] = hex"e217a042b9b242b65f8a1119ee2f0f31d716690ee918bd68f2851344260fed8f28e75f";
        p[4] =
            hex"f851808080808080a05a1e71189d9ae5c1c7958b456e50341b62319a48102fb3dc10d119e7bfc5681580808080a0ef2f0ee87d8a2f854304d5a6d0f9c1cd066ac12ecefac3cacef1d6ee5819a57c8080808080";
        p[5] = hex"e09e34b53949919d859538fc16d67a9c81d5871b293873754a0f1fd1d27729fa01";
    }

    /// @notice Withdrawal C (nonce 2): short path (branch, branch, leaf), third sender.
    function withdrawalC() internal pure returns (Types.WithdrawalTransaction memory) {
        return Types.WithdrawalTransaction({
            nonce: 0x1000000000000000000000000000000000000000000000000000000000002,
            sender: 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC,
            target: 0x00000000000000000000000000000000a11CE002,
            value: 3000000000000000,
            gasLimit: 100002,
            data: hex"0e0f"
        });
    }

    /// @notice Storage proof of withdrawal C's sentMessages slot.
    function withdrawalCProof() internal pure returns (bytes[] memory p) {
        p = new bytes[](3);
        p[0] = STORAGE_ROOT_NODE;
        p[1] =
            hex"f9015180a0fb8c5c43ee1da4970413c5b2e0c03d0d57bfe1f9346e570f8a857cc4a12daaa9a02bafe45ff3912d9f1f9a7401d2beeb4d008dac9ded60a5fb0f96e5f60c80a658a0342ab5ec6a00f390a6bf69455070f48877b76df243796cace0059a70853676b6a0e76cea0235ec4843bfc467b975c8d374fcdbca88e759e933fa1a548fba6877be80a048037a9863284ab6136564043769590aee0c0f69dd5a5663368e89209e805e22a0e095b9416ef87f7322a9c8812805e0205442487b36853caaf5dfeadb0b9fa633a091c2974c0b02df23cc42eec887868293ece6b4211665a889666cf7084b64f09aa0d77f08c7f787733aa88899b1a90ccc36c18471fd749309173b789d92e4246f5ea0cf02c0671781ded3311bd7515036dd5e8556824ab0883610d7610be34a00110980a07fb2fe35fed6ce38b767b979e029f0b807fcd9f05517aef3f7c0418686c4144580808080";
        p[2] = hex"e2a020d5aaad8dc026e19812a2ee87440abd0918846452ea6cca100e2b152f58760c01";
    }

    /// @notice Storage proof of slot 1 (the withdrawal counter, 0x100).
    function nonceSlotProof() internal pure returns (bytes[] memory p) {
        p = new bytes[](4);
        p[0] = STORAGE_ROOT_NODE;
        p[1] =
            hex"f90131a035f88fbce7147f893ddf6a1fcde8e67902c97c7ce333df422ceba9fe55900bb1a00c1980bcca5e1116e8a560a03eb282480b840c6ed7fb38300f0d7d15d06d9a5ea0fa0bedd714c9f363185fd0dabaccb57275ea520817e080cad1bafdd1d6793460a05ddffe2ab9a1a6d5f38cf7b8c69760916733f18dc860fa7eebf301ac4e98879180a05d626d953772a82b29cd0a279b3aa755afbe8764683a2df1c94eb9a46749fc3ba0ddb862ae3124f7bbd664aee3e6f4a0a3d8cfcc0fb4d512afe852939139e303b4a04dbccfc1c7cfc7b3c185612c33a9753087ecb59da2592e9c611a0dbc511418ce8080808080a0f0eab8995b5d2581d6973a05ce4a8a2b80db064639949eb8f73b24720ed60ba980a083e3d7bbac72b0869a69d0284555921f726b0bf9c38c20b5ff5eaa8d99c9972e80";
        p[2] =
            hex"f851a0d048f8b8df61d1b813d70a74d6247743090b40b8321201fd6ba03fc690638ac980808080a066cd29cebdc472a7f28b1b4fa997445fb30662ab3a4b6c60b3180b98034bb28f8080808080808080808080";
        p[3] = hex"e49f3e2d527612073b26eecdfd717e6a320cf44b4afac2b0732d9fcbe2b7fa0cf683820100";
    }

    /// @notice Storage proof for slot 2, which is empty: an exclusion proof.
    function absentSlotProof() internal pure returns (bytes[] memory p) {
        p = new bytes[](3);
        p[0] = STORAGE_ROOT_NODE;
        p[1] =
            hex"f90171a0ebbe4383de064b4f1b777168d94f11efa2a494907fffaa629a16ec774d946879a0c3112108dfdc841fc6e02c7507e5aa355d833a40f598069392b7fd0934e6f4c7a00dc9fcf072c4d2b88cc530cb378fadc403eab76fb850b7d5982f2040bb28edcca0614a72fcc1cd0de92fd0d5ec50e3544d4c28abb8ee6d014fc2c44e5cb912c921a00b0ea8e73ed093c07aa7c554aec7dab400785535969e2140b0fff508d52f9e3da068210f3c75d1d766dcb5586c548c14c7b96afde1147de1e32918130492fc7e79a04b9ed50a8e4466985652db2cf5959bfa49b60c5c001e63262b3a704d95e62f5880a04110360b011df250c22a09d7f25e2b895cc5c34cf0dfe5d5181cabbb0c46f14fa01a0f815e0b44ba4653969f2c6d2f473f30427e9d38568a5f2686b1ad3bc2ad2780a0dff9e2c1d7f9abf800c8dc21b4621247e90ae1907665e7532858ba72584054628080a0d69d5b905d1403d4e7fadad86e9218fa528789ede40f62ec497c289fba67c1848080";
        p[2] = hex"e2a0201f1e29fa4f3195a84c04bc7f59a74e0c24c44e518f029b4e48bfac7f3455e601";
    }

    /// @notice State-trie proof of the passer's account under STATE_ROOT.
    function accountProof() internal pure returns (bytes[] memory p) {
        p = new bytes[](3);
        p[0] =
            hex"f90151a03988a330a1cf9bad8166028219327a64ada5d4f3b2f3eb6a4eb6e2a1aa647432a01689b2a5203afd9ea0a0ca3765e4a538c7176e53eac1f8307a344ffc3c6176558080a076b182eb19273d79560ede727fc6f9f6094cb4a72ea4e5c513665df995c79d59a0aa4f932b7094a83193b14f2a9e892e828671ba3bfab0ad2068ee744af0b20f90a0c6b22d4e35bcd12906573e22ffc1bcb9dfb26c06d6a44e1bac237238a33cfd6080a050c45a900a77c80fd1101b0540247762296f0cd3db0d4bd31d47d0cfb5dfc851a0d0a1bfe5b45d2d863a794f016450a4caca04f3b599e8d1652afca8b752935fd880a0bf9b09e442e044778b354abbadb5ec049d7f5e8b585c3966d476c4fbc9a181d28080a059304714911d162aa99503eca1a96d570448230acc6b500e01d86e4876f8e43ba0e5c557a0ce3894afeb44c37f3d24247f67dc76a174d8cacc360c1210eef60a7680";
        p[1] =
            hex"f85180808080a092565c5e83f31c8a85def777d4a5c8976e6104d1a2bca487db15fd6179405e6180808080a074ae0767a40fc6fff780050f46a50f6b39ca4edb7faa9669108157a1cd96f40980808080808080";
        p[2] =
            hex"f872a020e659e60b21cc961f64ad47f20523c1d329d4bbda245ef3940a76dc89d0911bb84ff84d018901c88611b5a3400000a07b4e74eb3fa7c700061961d041c8df2b4982f0017ffaf0652d0987840725fd03a045e3fa10a9450b73f6fe36914198175ab23d9b98593e1e2b3bd361f0f4d62f07";
    }
}

/// @notice External wrapper so that library reverts happen one call deeper than the test and
/// `expectRevert` can see them.
contract MerkleTrieHarness {
    /// @notice MerkleTrie.get.
    function get(bytes memory key, bytes[] memory proof, bytes32 root) external pure returns (bytes memory) {
        return MerkleTrie.get(key, proof, root);
    }

    /// @notice MerkleTrie.getSecure.
    function getSecure(bytes memory key, bytes[] memory proof, bytes32 root) external pure returns (bytes memory) {
        return MerkleTrie.getSecure(key, proof, root);
    }
}

/// @notice MerkleTrie against real anvil proofs, independent tries with inline nodes, and
/// hand-made malformed nodes.
contract MerkleTrieTest is Test {
    MerkleTrieHarness internal h;

    /// @dev Trie {0x01: "a", 0x02: "b"} built with py-trie: extension [0] -> branch (inline) ->
    /// two leaves (inline). Its root node embeds every other node.
    bytes32 internal constant INLINE_ROOT = 0x2096ffd512f116546f1cd22963cd736c41ca48ea911c1b728c14d62ce363d559;
    bytes internal constant INLINE_ROOT_NODE = hex"d710d580c22061c220628080808080808080808080808080";
    /// @dev Trie {0x12: "x", 0x1234: "y", 0x1235: "z" * 40} built with py-trie: a value in a
    /// branch, an inline leaf and a hashed leaf.
    bytes32 internal constant MIXED_ROOT = 0x4075a8785da1e186f8861611af6782fd4c52222f403a65d0f902f7b52b534932;
    bytes internal constant MIXED_EXT = hex"e4820012a08f0703c9701869de93d2b3bd03a9c94f20095771474ed7fe98d1ec66b82233aa";
    bytes internal constant MIXED_BRANCH1 =
        hex"f1808080a0499534629ec7f65d852b65b3151afe97ce42ee79473b5a17b1488f3d413fc86d80808080808080808080808078";
    bytes internal constant MIXED_BRANCH2 =
        hex"f380808080c22079a0baa0376cfb49f7cb9bcb935b9820cd6aca0c60eba4f765fca76c7b07546045258080808080808080808080";
    bytes internal constant MIXED_LEAF_Z =
        hex"ea20a87a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a";

    function setUp() public {
        h = new MerkleTrieHarness();
    }

    // ------------------------------------------------------------ real anvil proofs

    function _slot(Types.WithdrawalTransaction memory wtx) internal pure returns (bytes memory) {
        return abi.encode(Hashing.withdrawalStorageSlot(Hashing.hashWithdrawal(wtx)));
    }

    function test_WithdrawalHashesMatchTheL2Events() public pure {
        assertEq(Hashing.hashWithdrawal(ProofVectors.withdrawalA()), ProofVectors.WITHDRAWAL_A_HASH);
        assertEq(Hashing.hashWithdrawal(ProofVectors.withdrawalB()), ProofVectors.WITHDRAWAL_B_HASH);
        assertEq(Hashing.hashWithdrawal(ProofVectors.withdrawalC()), ProofVectors.WITHDRAWAL_C_HASH);
    }

    function test_OutputRootGoldenVector() public pure {
        // keccak256 of the ABI encoding of the four words, computed with `cast keccak`.
        Types.OutputRootProof memory p = Types.OutputRootProof({
            version: bytes32(0),
            stateRoot: ProofVectors.STATE_ROOT,
            messagePasserStorageRoot: ProofVectors.STORAGE_ROOT,
            latestBlockhash: ProofVectors.BLOCK_HASH
        });
        assertEq(Hashing.hashOutputRootProof(p), 0x46bf077276c15af86ab55f8b927be5d9fbbfba5e5eb0b8290d83dbba554aaebe);
    }

    function test_RealStorageProof_ExtensionPath() public view {
        bytes memory v =
            h.getSecure(_slot(ProofVectors.withdrawalA()), ProofVectors.withdrawalAProof(), ProofVectors.STORAGE_ROOT);
        assertEq(v, hex"01"); // RLP of the storage word 1 (sentMessages = true)
    }

    function test_RealStorageProof_DeepPath() public view {
        bytes memory v =
            h.getSecure(_slot(ProofVectors.withdrawalB()), ProofVectors.withdrawalBProof(), ProofVectors.STORAGE_ROOT);
        assertEq(v, hex"01");
    }

    function test_RealStorageProof_ShortPath() public view {
        bytes memory v =
            h.getSecure(_slot(ProofVectors.withdrawalC()), ProofVectors.withdrawalCProof(), ProofVectors.STORAGE_ROOT);
        assertEq(v, hex"01");
    }

    function test_RealStorageProof_CounterSlot() public view {
        bytes memory v = h.getSecure(abi.encode(uint256(1)), ProofVectors.nonceSlotProof(), ProofVectors.STORAGE_ROOT);
        assertEq(_toUint(RLPReader.readBytes(v)), ProofVectors.WITHDRAWAL_COUNT);
    }

    function test_RealAccountProof_CommitsToStorageRoot() public view {
        bytes memory account =
            h.getSecure(abi.encodePacked(ProofVectors.PASSER), ProofVectors.accountProof(), ProofVectors.STATE_ROOT);
        RLPReader.RLPItem[] memory fields = RLPReader.readList(account);
        assertEq(fields.length, 4);
        assertEq(_toUint(RLPReader.readBytes(fields[0])), ProofVectors.ACCOUNT_NONCE);
        assertEq(_toUint(RLPReader.readBytes(fields[1])), ProofVectors.BALANCE);
        assertEq(bytes32(RLPReader.readBytes(fields[2])), ProofVectors.STORAGE_ROOT);
        assertEq(bytes32(RLPReader.readBytes(fields[3])), ProofVectors.CODE_HASH);
    }

    function test_RealExclusionProof_RevertsKeyNotFound() public {
        bytes[] memory proof = ProofVectors.absentSlotProof();
        vm.expectRevert(MerkleTrie.KeyNotFound.selector);
        h.getSecure(abi.encode(uint256(2)), proof, ProofVectors.STORAGE_ROOT);
    }

    function test_RevertWhen_WrongRoot() public {
        bytes memory key = _slot(ProofVectors.withdrawalA());
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        vm.expectRevert(abi.encodeWithSelector(MerkleTrie.InvalidNodeHash.selector, 0));
        h.getSecure(key, proof, ProofVectors.STATE_ROOT);
    }

    function test_RevertWhen_TamperedInnerNode() public {
        bytes memory key = _slot(ProofVectors.withdrawalA());
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        proof[2][10] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(MerkleTrie.InvalidNodeHash.selector, 2));
        h.getSecure(key, proof, ProofVectors.STORAGE_ROOT);
    }

    function test_RevertWhen_TamperedLeaf() public {
        bytes memory key = _slot(ProofVectors.withdrawalA());
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        bytes memory leaf = proof[proof.length - 1];
        leaf[leaf.length - 1] = 0x02; // claim the word is 2
        vm.expectRevert(abi.encodeWithSelector(MerkleTrie.InvalidNodeHash.selector, proof.length - 1));
        h.getSecure(key, proof, ProofVectors.STORAGE_ROOT);
    }

    function test_RevertWhen_WrongKey() public {
        bytes memory key = _slot(ProofVectors.withdrawalB());
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        vm.expectRevert();
        h.getSecure(key, proof, ProofVectors.STORAGE_ROOT);
    }

    function test_RevertWhen_UnhashedKey() public {
        // The same proof walked with the raw slot as path (no secure-trie hashing) fails.
        bytes memory key = _slot(ProofVectors.withdrawalA());
        bytes[] memory proof = ProofVectors.withdrawalAProof();
        vm.expectRevert();
        h.get(key, proof, ProofVectors.STORAGE_ROOT);
    }

    function test_RevertWhen_ProofTruncated() public {
        bytes memory key = _slot(ProofVectors.withdrawalA());
        bytes[] memory full = ProofVectors.withdrawalAProof();
        bytes[] memory proof = new bytes[](full.length - 1);
        for (uint256 i = 0; i < proof.length; ++i) {
            proof[i] = full[i];
        }
        vm.expectRevert(MerkleTrie.ProofTooShort.selector);
        h.getSecure(key, proof, ProofVectors.STORAGE_ROOT);
    }

    function test_RevertWhen_ProofHasExtraNodes() public {
        bytes memory key = _slot(ProofVectors.withdrawalC());
        bytes[] memory full = ProofVectors.withdrawalCProof();
        bytes[] memory proof = new bytes[](full.length + 1);
        for (uint256 i = 0; i < full.length; ++i) {
            proof[i] = full[i];
        }
        proof[full.length] = full[full.length - 1];
        vm.expectRevert(abi.encodeWithSelector(MerkleTrie.ProofTooLong.selector, 1));
        h.getSecure(key, proof, ProofVectors.STORAGE_ROOT);
    }

    function test_RevertWhen_EmptyProof() public {
        vm.expectRevert(MerkleTrie.EmptyProof.selector);
        h.getSecure(hex"01", new bytes[](0), ProofVectors.STORAGE_ROOT);
    }

    function testFuzz_OtherSlotsAreNeverProvenByARealProof(bytes32 slot) public view {
        bytes memory key = abi.encode(slot);
        vm.assume(keccak256(key) != keccak256(_slot(ProofVectors.withdrawalA())));
        try h.getSecure(key, ProofVectors.withdrawalAProof(), ProofVectors.STORAGE_ROOT) returns (bytes memory) {
            revert("a foreign key was proven");
        } catch {}
    }

    function testFuzz_AnyFlippedByteIsRejected(uint256 nodeIndex, uint256 byteIndex, uint8 mask) public view {
        bytes[] memory proof = ProofVectors.withdrawalBProof();
        nodeIndex = bound(nodeIndex, 0, proof.length - 1);
        byteIndex = bound(byteIndex, 0, proof[nodeIndex].length - 1);
        mask = uint8(bound(mask, 1, 255));
        proof[nodeIndex][byteIndex] ^= bytes1(mask);
        try h.getSecure(_slot(ProofVectors.withdrawalB()), proof, ProofVectors.STORAGE_ROOT) returns (bytes memory) {
            revert("a tampered proof was accepted");
        } catch {}
    }

    // --------------------------------------------------- inline nodes (py-trie vectors)

    function _one(bytes memory a) internal pure returns (bytes[] memory p) {
        p = new bytes[](1);
        p[0] = a;
    }

    function _two(bytes memory a, bytes memory b) internal pure returns (bytes[] memory p) {
        p = new bytes[](2);
        p[0] = a;
        p[1] = b;
    }

    function _three(bytes memory a, bytes memory b, bytes memory c) internal pure returns (bytes[] memory p) {
        p = new bytes[](3);
        p[0] = a;
        p[1] = b;
        p[2] = c;
    }

    function test_InlineNodes_GethFormat() public view {
        // geth-style proofs hold only hashed nodes: here just the root, which embeds the rest.
        assertEq(h.get(hex"01", _one(INLINE_ROOT_NODE), INLINE_ROOT), bytes("a"));
        assertEq(h.get(hex"02", _one(INLINE_ROOT_NODE), INLINE_ROOT), bytes("b"));
    }

    function test_InlineNodes_RepeatedFormat() public view {
        // py-trie (and OP's verifier) repeat embedded nodes as separate elements.
        bytes memory branch = hex"d580c22061c220628080808080808080808080808080";
        assertEq(h.get(hex"01", _three(INLINE_ROOT_NODE, branch, hex"c22061"), INLINE_ROOT), bytes("a"));
        assertEq(h.get(hex"02", _three(INLINE_ROOT_NODE, branch, hex"c22062"), INLINE_ROOT), bytes("b"));
    }

    function test_InlineNodes_WrongRepeatedCopyIsExtra() public {
        // A repeated element that differs from the embedded node is not skipped: it is left over.
        bytes memory branch = hex"d580c22061c220628080808080808080808080808080";
        vm.expectRevert(abi.encodeWithSelector(MerkleTrie.ProofTooLong.selector, 1));
        h.get(hex"01", _three(INLINE_ROOT_NODE, branch, hex"c22062"), INLINE_ROOT);
    }

    function test_InlineNodes_EmptyBranchSlot() public {
        vm.expectRevert(MerkleTrie.KeyNotFound.selector);
        h.get(hex"03", _one(INLINE_ROOT_NODE), INLINE_ROOT);
    }

    function test_InlineNodes_DivergingExtension() public {
        vm.expectRevert(MerkleTrie.KeyNotFound.selector);
        h.get(hex"11", _one(INLINE_ROOT_NODE), INLINE_ROOT);
    }

    function test_Mixed_ValueInBranch() public view {
        assertEq(h.get(hex"12", _two(MIXED_EXT, MIXED_BRANCH1), MIXED_ROOT), bytes("x"));
    }

    function test_Mixed_InlineLeafBelowHashedBranch() public view {
        assertEq(h.get(hex"1234", _three(MIXED_EXT, MIXED_BRANCH1, MIXED_BRANCH2), MIXED_ROOT), bytes("y"));
    }

    function test_Mixed_HashedLeaf() public view {
        bytes[] memory p = new bytes[](4);
        p[0] = MIXED_EXT;
        p[1] = MIXED_BRANCH1;
        p[2] = MIXED_BRANCH2;
        p[3] = MIXED_LEAF_Z;
        bytes memory expected = new bytes(40);
        for (uint256 i = 0; i < 40; ++i) {
            expected[i] = "z";
        }
        assertEq(h.get(hex"1235", p, MIXED_ROOT), expected);
    }

    function test_Mixed_AbsentSiblingAndPrefix() public {
        vm.expectRevert(MerkleTrie.KeyNotFound.selector);
        h.get(hex"1236", _three(MIXED_EXT, MIXED_BRANCH1, MIXED_BRANCH2), MIXED_ROOT);
        vm.expectRevert(MerkleTrie.KeyNotFound.selector);
        h.get(hex"13", _one(MIXED_EXT), MIXED_ROOT);
        // The empty key stops inside the root extension.
        vm.expectRevert(MerkleTrie.KeyNotFound.selector);
        h.get(hex"", _one(MIXED_EXT), MIXED_ROOT);
    }

    function test_Mixed_ValueFoundBeforeProofEnds() public {
        vm.expectRevert(abi.encodeWithSelector(MerkleTrie.ProofTooLong.selector, 1));
        h.get(hex"12", _three(MIXED_EXT, MIXED_BRANCH1, MIXED_BRANCH2), MIXED_ROOT);
    }

    // ------------------------------------------------------- hand-made malformed nodes

    function _single(bytes memory node, bytes memory key) internal view returns (bytes memory) {
        return h.get(key, _one(node), keccak256(node));
    }

    function test_Malformed_WrongItemCount() public {
        vm.expectRevert(MerkleTrie.MalformedNode.selector);
        _single(hex"c3010203", hex"01");
    }

    function test_Malformed_UnknownPathFlag() public {
        vm.expectRevert(MerkleTrie.MalformedNode.selector);
        _single(hex"c482400161", hex"01"); // [0x4001, "a"]: flag 4
    }

    function test_Malformed_EvenPathWithPadding() public {
        vm.expectRevert(MerkleTrie.MalformedNode.selector);
        _single(hex"c482210161", hex"01"); // [0x2101, "a"]: even leaf, padding nibble 1
    }

    function test_Malformed_EmptyPath() public {
        vm.expectRevert(MerkleTrie.MalformedNode.selector);
        _single(hex"c28061", hex"01"); // [<empty>, "a"]
    }

    function test_Malformed_EmptyLeafValue() public {
        vm.expectRevert(MerkleTrie.MalformedNode.selector);
        _single(hex"c482200180", hex"01"); // [0x2001, <empty>]
    }

    function test_Malformed_ExtensionWithNoPath() public {
        // [0x00, <32-byte hash>]: an even extension whose path is empty.
        vm.expectRevert(MerkleTrie.MalformedNode.selector);
        _single(abi.encodePacked(hex"e200a0", keccak256("child")), hex"01");
    }

    function test_Malformed_ExtensionWithEmptyChild() public {
        vm.expectRevert(MerkleTrie.MalformedNode.selector);
        _single(hex"c21080", hex"00"); // [0x10 (odd extension, nibble 0), <empty>]
    }

    function test_Malformed_ShortHashReference() public {
        // A branch whose child 0 is a 5-byte string: neither empty, a hash, nor a node.
        vm.expectRevert(MerkleTrie.MalformedNode.selector);
        _single(hex"d685010203040580808080808080808080808080808080", hex"00");
    }

    function test_Malformed_OversizedInlineNode() public {
        // A branch whose child 0 is an embedded list of 33 bytes (embedding needs < 32).
        bytes memory child = abi.encodePacked(hex"e0209e", new bytes(30));
        bytes memory node = abi.encodePacked(hex"f1", child, hex"80808080808080808080808080808080");
        vm.expectRevert(MerkleTrie.MalformedNode.selector);
        _single(node, hex"00");
    }

    function test_KeyEndsAtBranchWithoutValue() public {
        vm.expectRevert(MerkleTrie.KeyNotFound.selector);
        _single(hex"d685010203040580808080808080808080808080808080", hex"");
    }

    function test_RevertWhen_NodeIsNotAList() public {
        vm.expectRevert(RLPReader.NotAList.selector);
        _single(hex"83010203", hex"01");
    }

    function _toUint(bytes memory b) internal pure returns (uint256 v) {
        for (uint256 i = 0; i < b.length; ++i) {
            v = (v << 8) | uint8(b[i]);
        }
    }
}
