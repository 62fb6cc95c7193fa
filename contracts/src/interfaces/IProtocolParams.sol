// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice Governed protocol parameters (implemented by ProtocolParams; set only by the
/// timelock that OpenGovernor controls). Ratios are basis points (1 bps = 0.01 %).
struct Params {
    uint16 attributionThresholdBps; // a contributor's share of the positive score below this earns nothing
    uint16 contributorsBps; // fee split: contributors ...
    uint16 modelOwnerBps; // ... model owner ...
    uint16 protocolBps; // ... protocol; the three sum to 10_000
    uint64 challengeWindowSeconds; // optimistic-rollup challenge window
    uint16 contributorSlashBps; // most of a contributor's stake one slash may take
    uint16 providerSlashBps; // most of an inference provider's stake one slash may take
}

interface IProtocolParams {
    function params() external view returns (Params memory);
    function attributionThresholdBps() external view returns (uint16);
    function feeSplit() external view returns (uint16 contributorsBps, uint16 modelOwnerBps, uint16 protocolBps);
    function challengeWindowSeconds() external view returns (uint64);
    function contributorSlashBps() external view returns (uint16);
    function providerSlashBps() external view returns (uint16);
    function treasury() external view returns (address);
}
