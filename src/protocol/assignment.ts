/**
 * GET /api/agent/assignment: the cameras an agent probes, with their credentials — the only
 * place credentials leave the hub. Defined once; the hub serialises with it (Fastify) and
 * the agent validates what it receives (and its cached copy) with `checkAssignment`.
 */
import { type Static, Type } from 'typebox';
import { checker } from './validate.ts';

export const AgentCameraSchema = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 64 }),
  /** host the probes connect to (IP or name), without credentials */
  host: Type.String({ minLength: 1, maxLength: 255 }),
  onvifPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  /** ONVIF device service path, e.g. /onvif/device_service */
  onvifPath: Type.String({ maxLength: 1024 }),
  rtspPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  /** RTSP URL without user:pass@ */
  rtspUrl: Type.String({ maxLength: 2048 }),
  username: Type.String({ maxLength: 256 }),
  password: Type.String({ maxLength: 256 }),
  siteId: Type.Union([Type.String(), Type.Null()]),
  /**
   * HTTP/RTSP authentication schemes the agent may answer: 'digest' (absent: the default) never
   * sends the password in clear; 'basic' also answers a Basic challenge when Digest is not offered
   * (old cameras that know nothing else). A Basic-only challenge to a 'digest' camera is refused.
   */
  httpAuth: Type.Optional(Type.Union([Type.Literal('digest'), Type.Literal('basic')])),
});
/** Camera as the agent needs it to probe. */
export type AgentCamera = Static<typeof AgentCameraSchema>;

export const AssignmentSchema = Type.Object({
  agent: Type.String(),
  /** bumps whenever the assignment changes; the agent refetches when it differs */
  version: Type.String({ minLength: 1, maxLength: 128 }),
  cameras: Type.Array(AgentCameraSchema),
  /**
   * highest report seq the hub has recorded for this agent: an agent whose data folder was
   * reset continues above it (its new batches would otherwise be taken for replays)
   */
  lastSeq: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type AgentAssignment = Static<typeof AssignmentSchema>;

/** Validate an assignment from the hub (or the agent's cached copy); throws ProtocolError. */
export const checkAssignment = checker(AssignmentSchema, 'assignment');
