/** Public surface of the camera simulator. */
export type { Fleet } from './fleet-api.ts';
export { startFleet, type FleetOptions, type FaultAssignment } from './fleet.ts';
export { makeCameraSpecs, writeCameraSpecs, plannedEndpoints, hostFor, seededRandom, type SpecOptions } from './specs.ts';
export { parseScenario, scenarioFaults, demoFaults, expectedOnlineShare, DEMO_OFFLINE_SHARE, type Scenario } from './scenario.ts';
export { expectedFaultClass } from './fault-book.ts';
export { SNAPSHOT_PATH } from './onvif-templates.ts';
export {
  FAULT_KINDS,
  type FaultKind,
  type FaultParams,
  type FaultTarget,
  type ActiveFault,
  type CameraCounters,
  type EffectiveState,
  type SimCameraSpec,
} from './types.ts';
