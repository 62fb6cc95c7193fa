// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Test} from "../utils/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ModelRegistry, AdapterRegistration} from "../../src/l2/ModelRegistry.sol";

contract ModelRegistryTest is Test {
    ModelRegistry internal reg;

    address internal admin = makeAddr("admin");
    address internal catalogue = makeAddr("catalogue");
    address internal registrar = makeAddr("registrar");
    address internal owner = makeAddr("owner");
    address internal baseOwner = makeAddr("baseOwner");
    address internal stranger = makeAddr("stranger");

    // Golden values computed with Python's eth_utils.keccak over the UTF-8 strings.
    bytes32 internal constant SMOLLM = 0xb448e035e8598b8f5f2ee2830d005f50e35f6d9f8a6d5456eafb058148f3421e; // "smollm2-135m-instruct"
    bytes32 internal constant MEDICAL_QA = 0xd0ac720b5619aa4de84a2700ce9f66a287d3a44375d4e3d71c058a2ca131bcec; // "medical-qa"
    bytes32 internal constant MEDICAL_QA_3 = 0x8f1f535f5b034562ba7fcaf0e9627ada6ff0c338bc360b213113f6d05ecdf85c; // "medical-qa@3"
    bytes32 internal constant MEDICAL_QA_10 = 0x7c5a40ac3f5096093a457f1fe5b1e997e952af62ed39d34df2e0598e54fec31e; // "medical-qa@10"

    bytes32 internal constant WEIGHTS = keccak256("revision-abc");
    bytes32 internal constant SHA_1 = sha256("adapter v1");
    bytes32 internal constant ROOT = keccak256("snapshot root");

    function setUp() public {
        vm.warp(1_700_000_000);
        reg = new ModelRegistry(admin);
        vm.startPrank(admin);
        reg.grantRole(reg.CATALOGUE_ROLE(), catalogue);
        reg.grantRole(reg.REGISTRAR_ROLE(), registrar);
        vm.stopPrank();
        vm.prank(catalogue);
        reg.registerBaseModel(SMOLLM, WEIGHTS, "SmolLM2 135M Instruct", baseOwner, 100);
    }

    // ------------------------------------------------------------------ helpers

    function _unauthorized(address account, bytes32 role) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role);
    }

    function _reg(string memory adapterId, uint32 version) internal view returns (AdapterRegistration memory r) {
        bytes32[] memory roots = new bytes32[](1);
        roots[0] = ROOT;
        r = AdapterRegistration({
            adapterId: adapterId,
            version: version,
            adapterSha256: sha256(abi.encode(adapterId, version)),
            baseModelId: SMOLLM,
            snapshotRoots: roots,
            owner: owner,
            feePer1kTokens: 1500
        });
    }

    function _register(AdapterRegistration memory r) internal returns (bytes32) {
        vm.prank(registrar);
        return reg.registerAdapter(r);
    }

    function _registerUpTo(string memory adapterId, uint32 n) internal {
        for (uint32 v = 1; v <= n; ++v) {
            _register(_reg(adapterId, v));
        }
    }

    // ------------------------------------------------------------------ constructor and roles

    function test_constructor() public {
        assertTrue(reg.hasRole(reg.DEFAULT_ADMIN_ROLE(), admin));
        vm.expectRevert(ModelRegistry.ZeroAddress.selector);
        new ModelRegistry(address(0));
    }

    function test_roles_onlyAdminGrants() public {
        bytes32 adminRole = reg.DEFAULT_ADMIN_ROLE();
        bytes32 registrarRole = reg.REGISTRAR_ROLE();
        vm.expectRevert(_unauthorized(stranger, adminRole));
        vm.prank(stranger);
        reg.grantRole(registrarRole, stranger);
    }

    // ------------------------------------------------------------------ base models

    function test_registerBaseModel_storesAndEmits() public {
        bytes32 tiny = keccak256("tiny-llama");
        vm.expectEmit();
        emit ModelRegistry.BaseModelRegistered(tiny, WEIGHTS, address(0), 0, "Tiny Llama");
        vm.prank(catalogue);
        reg.registerBaseModel(tiny, WEIGHTS, "Tiny Llama", address(0), 0);
        ModelRegistry.BaseModel memory b = reg.baseModel(tiny);
        assertEq(b.weightsHash, WEIGHTS);
        assertEq(b.owner, address(0));
        assertEq(b.feePer1kTokens, 0);
        assertEq(b.registeredAt, block.timestamp);
        assertEq(bytes(b.name), bytes("Tiny Llama"));
        assertTrue(reg.isBaseModelRegistered(tiny));
        assertEq(reg.baseModelFeeFor(tiny, 123_456), 0);
    }

    function test_registerBaseModel_baseModelIdIsKeccakOfCatalogueId() public view {
        assertEq(keccak256(bytes("smollm2-135m-instruct")), SMOLLM);
        assertEq(reg.baseModel(SMOLLM).owner, baseOwner);
    }

    function test_registerBaseModel_onlyCatalogue() public {
        vm.expectRevert(_unauthorized(stranger, reg.CATALOGUE_ROLE()));
        vm.prank(stranger);
        reg.registerBaseModel(keccak256("m"), WEIGHTS, "M", address(0), 0);
        vm.expectRevert(_unauthorized(registrar, reg.CATALOGUE_ROLE()));
        vm.prank(registrar);
        reg.registerBaseModel(keccak256("m"), WEIGHTS, "M", address(0), 0);
    }

    function test_registerBaseModel_immutable() public {
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.BaseModelAlreadyRegistered.selector, SMOLLM));
        vm.prank(catalogue);
        reg.registerBaseModel(SMOLLM, keccak256("other weights"), "Other", stranger, 1);
        assertEq(reg.baseModel(SMOLLM).weightsHash, WEIGHTS);
    }

    function test_registerBaseModel_rejectsBadInput() public {
        vm.startPrank(catalogue);
        vm.expectRevert(ModelRegistry.ZeroBaseModelId.selector);
        reg.registerBaseModel(bytes32(0), WEIGHTS, "M", address(0), 0);
        vm.expectRevert(ModelRegistry.ZeroWeightsHash.selector);
        reg.registerBaseModel(keccak256("m"), bytes32(0), "M", address(0), 0);
        vm.expectRevert(ModelRegistry.EmptyName.selector);
        reg.registerBaseModel(keccak256("m"), WEIGHTS, "", address(0), 0);
        vm.stopPrank();
    }

    function test_baseModelViews_revertWhenUnknown() public {
        bytes32 unknown = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.BaseModelNotFound.selector, unknown));
        reg.baseModel(unknown);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.BaseModelNotFound.selector, unknown));
        reg.baseModelFeeFor(unknown, 1);
        assertFalse(reg.isBaseModelRegistered(unknown));
    }

    function test_baseModelFeeFor_roundsUp() public view {
        // fee 100 wei per 1k tokens: 1 token -> ceil(0.1) = 1; 10 -> 1; 11 -> ceil(1.1) = 2.
        assertEq(reg.baseModelFeeFor(SMOLLM, 0), 0);
        assertEq(reg.baseModelFeeFor(SMOLLM, 1), 1);
        assertEq(reg.baseModelFeeFor(SMOLLM, 10), 1);
        assertEq(reg.baseModelFeeFor(SMOLLM, 11), 2);
        assertEq(reg.baseModelFeeFor(SMOLLM, 1000), 100);
    }

    // ------------------------------------------------------------------ adapters

    function test_registerAdapter_storesAndEmits() public {
        AdapterRegistration memory r = _reg("medical-qa", 1);
        bytes32 key = keccak256(bytes("medical-qa@1"));
        vm.expectEmit();
        emit ModelRegistry.AdapterRegistered(
            key, MEDICAL_QA, owner, "medical-qa", 1, r.adapterSha256, SMOLLM, r.snapshotRoots, 1500
        );
        assertEq(_register(r), key);
        ModelRegistry.Adapter memory a = reg.adapter(key);
        assertEq(a.adapterIdHash, MEDICAL_QA);
        assertEq(a.version, 1);
        assertEq(a.registeredAt, block.timestamp);
        assertEq(a.owner, owner);
        assertEq(a.adapterSha256, r.adapterSha256);
        assertEq(a.baseModelId, SMOLLM);
        assertEq(a.feePer1kTokens, 1500);
        assertEq(a.snapshotRoots.length, 1);
        assertEq(a.snapshotRoots[0], ROOT);
        assertEq(reg.latestVersion(MEDICAL_QA), 1);
        assertEq(reg.adapterIdOwner(MEDICAL_QA), owner);
    }

    function test_adapterKey_matchesPythonGoldenValues() public {
        assertEq(reg.adapterKey("medical-qa", 3), MEDICAL_QA_3);
        assertEq(reg.adapterKey("medical-qa", 10), MEDICAL_QA_10);
        _registerUpTo("medical-qa", 10);
        assertEq(reg.adapter(MEDICAL_QA_3).version, 3);
        assertEq(reg.adapter(MEDICAL_QA_10).version, 10);
        assertEq(reg.adapter(MEDICAL_QA_10).adapterIdHash, MEDICAL_QA);
        assertEq(reg.latestVersion(MEDICAL_QA), 10);
    }

    function test_registerAdapter_onlyRegistrar() public {
        AdapterRegistration memory r = _reg("medical-qa", 1);
        vm.expectRevert(_unauthorized(stranger, reg.REGISTRAR_ROLE()));
        vm.prank(stranger);
        reg.registerAdapter(r);
        // Not even the owner registers for itself, nor the catalogue role.
        vm.expectRevert(_unauthorized(owner, reg.REGISTRAR_ROLE()));
        vm.prank(owner);
        reg.registerAdapter(r);
        vm.expectRevert(_unauthorized(catalogue, reg.REGISTRAR_ROLE()));
        vm.prank(catalogue);
        reg.registerAdapter(r);
    }

    function test_registerAdapter_rejectsDuplicateVersion() public {
        _registerUpTo("medical-qa", 2);
        AdapterRegistration memory r = _reg("medical-qa", 2);
        r.adapterSha256 = sha256("different file");
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.AdapterVersionExists.selector, MEDICAL_QA, 2, 2));
        _register(r);
        r = _reg("medical-qa", 1); // built first: sha256 is a call expectRevert would catch
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.AdapterVersionExists.selector, MEDICAL_QA, 1, 2));
        _register(r);
        // The registered version is untouched.
        assertTrue(reg.isRegistered(reg.adapterKey("medical-qa", 2), _reg("medical-qa", 2).adapterSha256));
    }

    function test_registerAdapter_rejectsOutOfOrderVersions() public {
        // Registrations are built before each expectRevert: sha256 is a call it would catch.
        AdapterRegistration memory r = _reg("medical-qa", 0);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.AdapterVersionOutOfOrder.selector, MEDICAL_QA, 1, 0));
        _register(r);
        r = _reg("medical-qa", 2);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.AdapterVersionOutOfOrder.selector, MEDICAL_QA, 1, 2));
        _register(r);
        _register(_reg("medical-qa", 1));
        r = _reg("medical-qa", 3);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.AdapterVersionOutOfOrder.selector, MEDICAL_QA, 2, 3));
        _register(r);
        r = _reg("medical-qa", type(uint32).max);
        vm.expectRevert(
            abi.encodeWithSelector(ModelRegistry.AdapterVersionOutOfOrder.selector, MEDICAL_QA, 2, type(uint32).max)
        );
        _register(r);
    }

    function test_registerAdapter_versionsArePerAdapterId() public {
        _registerUpTo("medical-qa", 2);
        _register(_reg("legal-de", 1));
        assertEq(reg.latestVersion(keccak256("legal-de")), 1);
        assertEq(reg.latestVersion(MEDICAL_QA), 2);
    }

    function test_registerAdapter_rejectsInvalidIds() public {
        string[9] memory bad = [
            "",
            "ab", // too short
            "a234567890123456789012345678901234567890123456789012345678901234", // 64 characters
            "Medical-qa", // uppercase
            "1medical", // starts with a digit
            "-medical",
            "medical-", // ends with a hyphen
            "medical@qa", // would blur the id/version split
            "medical_qa"
        ];
        for (uint256 i = 0; i < bad.length; ++i) {
            AdapterRegistration memory r = _reg(bad[i], 1);
            vm.expectRevert(abi.encodeWithSelector(ModelRegistry.InvalidAdapterId.selector, bad[i]));
            _register(r);
        }
        // Boundary cases that are valid: 3 and 63 characters, digits and inner hyphens.
        _register(_reg("a-1", 1));
        _register(_reg("a23456789012345678901234567890123456789012345678901234567890123", 1));
        _register(_reg("m0del-2-x", 1));
    }

    function test_registerAdapter_rejectsZeroSha() public {
        AdapterRegistration memory r = _reg("medical-qa", 1);
        r.adapterSha256 = bytes32(0);
        vm.expectRevert(ModelRegistry.ZeroAdapterSha256.selector);
        _register(r);
    }

    function test_registerAdapter_rejectsUnknownBaseModel() public {
        AdapterRegistration memory r = _reg("medical-qa", 1);
        r.baseModelId = keccak256("unknown");
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.BaseModelNotFound.selector, r.baseModelId));
        _register(r);
    }

    function test_registerAdapter_rejectsZeroOwner() public {
        AdapterRegistration memory r = _reg("medical-qa", 1);
        r.owner = address(0);
        vm.expectRevert(ModelRegistry.ZeroAddress.selector);
        _register(r);
    }

    function test_registerAdapter_idBelongsToFirstOwner() public {
        _register(_reg("medical-qa", 1));
        AdapterRegistration memory r = _reg("medical-qa", 2);
        r.owner = stranger;
        vm.expectRevert(
            abi.encodeWithSelector(ModelRegistry.AdapterOwnerMismatch.selector, MEDICAL_QA, owner, stranger)
        );
        _register(r);
        r.owner = owner;
        _register(r);
        assertEq(reg.latestVersion(MEDICAL_QA), 2);
    }

    function test_registerAdapter_snapshotLineageVariants() public {
        AdapterRegistration memory r = _reg("no-lineage", 1);
        r.snapshotRoots = new bytes32[](0); // an adapter without snapshot lineage
        bytes32 k1 = _register(r);
        assertEq(reg.adapter(k1).snapshotRoots.length, 0);
        r = _reg("two-roots", 1);
        r.snapshotRoots = new bytes32[](2);
        r.snapshotRoots[0] = keccak256("a");
        r.snapshotRoots[1] = keccak256("b");
        bytes32 k2 = _register(r);
        assertEq(reg.adapter(k2).snapshotRoots[1], keccak256("b"));
    }

    function test_newFeeMeansNewVersion() public {
        _register(_reg("medical-qa", 1));
        AdapterRegistration memory r = _reg("medical-qa", 2);
        r.feePer1kTokens = 9000;
        _register(r);
        assertEq(reg.adapter(reg.adapterKey("medical-qa", 1)).feePer1kTokens, 1500);
        assertEq(reg.adapter(reg.adapterKey("medical-qa", 2)).feePer1kTokens, 9000);
        assertEq(reg.feeFor(reg.adapterKey("medical-qa", 1), 1000), 1500);
        assertEq(reg.feeFor(reg.adapterKey("medical-qa", 2), 1000), 9000);
    }

    // ------------------------------------------------------------------ views

    function test_isRegistered_checksHash() public {
        AdapterRegistration memory r = _reg("medical-qa", 1);
        bytes32 key = _register(r);
        assertTrue(reg.isRegistered(key, r.adapterSha256));
        assertFalse(reg.isRegistered(key, sha256("tampered file")));
        assertFalse(reg.isRegistered(reg.adapterKey("medical-qa", 2), r.adapterSha256)); // unknown version
        assertFalse(reg.isRegistered(bytes32(0), bytes32(0)));
    }

    function test_adapterViews_revertWhenUnknown() public {
        bytes32 key = reg.adapterKey("medical-qa", 1);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.AdapterNotFound.selector, key));
        reg.adapter(key);
        vm.expectRevert(abi.encodeWithSelector(ModelRegistry.AdapterNotFound.selector, key));
        reg.feeFor(key, 1);
        assertEq(reg.latestVersion(MEDICAL_QA), 0);
        assertEq(reg.adapterIdOwner(MEDICAL_QA), address(0));
    }

    function test_feeFor_roundsUp() public {
        bytes32 key = _register(_reg("medical-qa", 1)); // 1500 wei per 1k tokens
        assertEq(reg.feeFor(key, 0), 0);
        assertEq(reg.feeFor(key, 1), 2); // ceil(1.5)
        assertEq(reg.feeFor(key, 2), 3); // exactly 3
        assertEq(reg.feeFor(key, 3), 5); // ceil(4.5)
        assertEq(reg.feeFor(key, 1000), 1500);
        AdapterRegistration memory r = _reg("free-adapter", 1);
        r.feePer1kTokens = 0;
        assertEq(reg.feeFor(_register(r), 1_000_000), 0);
    }

    function testFuzz_feeFor_isCeilOfRate(uint256 fee, uint256 tokens) public {
        fee = bound(fee, 0, 1e30);
        tokens = bound(tokens, 0, 1e12);
        AdapterRegistration memory r = _reg("fuzz-adapter", 1);
        r.feePer1kTokens = fee;
        bytes32 key = _register(r);
        uint256 got = reg.feeFor(key, tokens);
        assertEq(got, (fee * tokens + 999) / 1000);
        // Ceil: never less than the exact amount, less than one wei above it.
        assertGe(got * 1000, fee * tokens);
        if (got > 0) assertLe((got - 1) * 1000, fee * tokens - 1);
    }

    function testFuzz_onlyNextVersionRegisters(uint8 registered, uint32 attempt) public {
        uint32 n = uint32(bound(registered, 0, 12));
        _registerUpTo("medical-qa", n);
        AdapterRegistration memory r = _reg("medical-qa", attempt);
        if (attempt == n + 1) {
            _register(r);
            assertEq(reg.latestVersion(MEDICAL_QA), attempt);
        } else {
            if (attempt != 0 && attempt <= n) {
                vm.expectRevert(
                    abi.encodeWithSelector(ModelRegistry.AdapterVersionExists.selector, MEDICAL_QA, attempt, n)
                );
            } else {
                vm.expectRevert(
                    abi.encodeWithSelector(
                        ModelRegistry.AdapterVersionOutOfOrder.selector, MEDICAL_QA, uint256(n) + 1, attempt
                    )
                );
            }
            _register(r);
            assertEq(reg.latestVersion(MEDICAL_QA), n);
        }
    }
}
