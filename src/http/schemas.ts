/** TypeBox schemas for every route's params, query, body and responses. */
import { Type } from 'typebox';
import { FAULT_CLASSES } from '../protocol/probe-result.ts';
import { CAMERA_STATES, GRID_KINDS } from '../core/model.ts';
import { GRID_SORTS } from '../services/county-view.ts';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const lit = <T extends string[]>(xs: readonly [...T]) => Type.Enum(xs);

export const ErrorReply = Type.Object({ statusCode: Type.Integer(), error: Type.String(), message: Type.String() });

const Window = Type.Object({ onlineRate: Nullable(Type.Number()), onlineMs: Type.Number(), monitoredMs: Type.Number() });
export const Counts = Type.Object({ online: Type.Integer(), offline: Type.Integer(), unknown: Type.Integer(), maintenance: Type.Integer() });
export const Figures = Type.Object({
  counts: Counts,
  total: Type.Integer(),
  onlineRate: Nullable(Type.Number({ description: 'online / (online + offline); null when nothing is monitored' })),
  coverage: Nullable(Type.Number({ description: '(online + offline) / total' })),
  today: Window,
  month: Window,
});

export const TownFigures = Type.Object({ id: Type.String(), name: Type.String(), kind: Type.String(), ...Figures.properties });
export const CommunityFigures = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('community'), Type.Literal('village')], { description: '社区 community or 村 village' }),
  townId: Type.String(),
  ...Figures.properties,
});
export const GridFigures = Type.Object({
  id: Type.String(),
  name: Type.String(),
  kind: lit(GRID_KINDS),
  townId: Type.String(),
  communityId: Type.String(),
  ...Figures.properties,
});

export const SummaryReply = Type.Object({
  county: Type.Object({ name: Type.String(), ...Figures.properties }),
  byKind: Type.Record(Type.String(), Figures),
  towns: Type.Array(TownFigures),
  communities: Type.Array(CommunityFigures),
  at: Type.Integer(),
});

export const CameraView = Type.Object({
  code: Type.String(),
  name: Type.String(),
  gridId: Type.String(),
  siteId: Nullable(Type.String()),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  vendor: Nullable(Type.String()),
  agentId: Nullable(Type.String()),
  state: lit(CAMERA_STATES),
  stateSince: Type.Integer(),
  fault: Nullable(lit(FAULT_CLASSES)),
  lastSuccessAt: Nullable(Type.Integer()),
  clockOffsetMs: Nullable(Type.Number()),
});

export const TransitionView = Type.Object({
  from: lit(CAMERA_STATES),
  to: lit(CAMERA_STATES),
  at: Type.Integer(),
  since: Type.Integer(),
  fault: Nullable(Type.String()),
  reason: Type.String(),
});

export const LoginBody = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export const UserView = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  role: Type.String(),
  towns: Type.Array(Type.String()),
  grids: Type.Array(Type.String()),
});
export const LoginReply = Type.Object({ token: Type.String(), expiresAt: Type.Integer(), user: UserView });

export const GridListQuery = Type.Object(
  {
    town: Type.Optional(Type.String({ maxLength: 64 })),
    community: Type.Optional(Type.String({ maxLength: 64 })),
    kind: Type.Optional(lit(GRID_KINDS)),
    q: Type.Optional(Type.String({ maxLength: 64, description: 'name contains' })),
    sort: Type.Optional(lit(GRID_SORTS)),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, default: 100 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  },
  { additionalProperties: false },
);

export const CommunityListQuery = Type.Object({ town: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });

export const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' }) });
