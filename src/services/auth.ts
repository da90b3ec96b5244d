/**
 * Password login → bearer token (sessions stored hashed); agent tokens (hashed in config).
 * A session that ends (logout, expiry, password changed) closes the channels open under it
 * (./auth-channels.ts).
 */
import type { Database } from '../db/client.ts';
import { newToken, tokenHash, verifyPassword } from '../secrets/passwords.ts';
import type { Role } from '../county/load-config.ts';
import { type ChannelCaps, type ChannelSession, SessionChannels } from './auth-channels.ts';
import type { Principal } from './scope.ts';

const SESSION_MS = 12 * 3600_000;

export interface Session extends ChannelSession {
  user: Principal;
}

export class AuthService {
  private readonly cache = new Map<string, { user: Principal; expiresAt: number }>();
  private agentByHash = new Map<string, string>();
  /** the ticket streams and live sockets open under each session */
  readonly channels: SessionChannels;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
    opts: { channelCaps?: Partial<ChannelCaps> } = {},
  ) {
    this.channels = new SessionChannels(now, opts.channelCaps);
  }

  setAgents(agents: { id: string; tokenHash: string }[]): void {
    this.agentByHash = new Map(agents.map((a) => [a.tokenHash, a.id]));
  }

  /** agent id for a bearer token, or null */
  agentFor(token: string): string | null {
    // looked up by sha256 of a high-entropy token: lookup timing says nothing useful about the token
    return this.agentByHash.get(tokenHash(token)) ?? null;
  }

  async login(username: string, password: string): Promise<{ token: string; expiresAt: number; user: Principal } | null> {
    // PostgreSQL text holds no NUL character (the query would fail: a 500): no such user
    const [row] = username.includes('\u0000')
      ? []
      : await this.db.query<Principal & { passwordHash: string }>(
          `select username, display_name as "displayName", password_hash as "passwordHash", role, towns, grids from users where username = $1`,
          [username],
        );
    // verify against a dummy hash when the user does not exist: same cost, no user enumeration by timing
    const ok = await verifyPassword(password, row?.passwordHash ?? DUMMY_HASH);
    if (!row || !ok) return null;
    const token = newToken();
    const now = this.now();
    const expiresAt = now + SESSION_MS;
    await this.db.query(`insert into sessions (token_hash, username, created_at, expires_at) values ($1, $2, to_timestamp($3 / 1000.0), to_timestamp($4 / 1000.0))`, [
      tokenHash(token),
      username,
      now,
      expiresAt,
    ]);
    const user: Principal = { username: row.username, displayName: row.displayName, role: row.role as Role, towns: row.towns, grids: row.grids };
    this.cache.set(tokenHash(token), { user, expiresAt });
    return { token, expiresAt, user };
  }

  async userFor(token: string): Promise<Principal | null> {
    return (await this.session(token))?.user ?? null;
  }

  /** The live session of a bearer token (user, expiry), or null when unknown or expired. */
  async session(token: string): Promise<Session | null> {
    const h = tokenHash(token);
    const now = this.now();
    let hit = this.cache.get(h);
    if (!hit) {
      const [row] = await this.db.query<Principal & { expiresAt: number }>(
        `select u.username, u.display_name as "displayName", u.role, u.towns, u.grids, (extract(epoch from s.expires_at) * 1000)::float8 as "expiresAt"
           from sessions s join users u on u.username = s.username where s.token_hash = $1`,
        [h],
      );
      if (!row) return null;
      hit = { user: { username: row.username, displayName: row.displayName, role: row.role, towns: row.towns, grids: row.grids }, expiresAt: Number(row.expiresAt) };
      this.cache.set(h, hit);
    }
    if (hit.expiresAt <= now) {
      this.cache.delete(h);
      return null;
    }
    return { tokenHash: h, username: hit.user.username, expiresAt: hit.expiresAt, user: hit.user };
  }

  /** End a session: the token stops working and its channels close. */
  async logout(token: string): Promise<void> {
    const h = tokenHash(token);
    this.cache.delete(h);
    this.channels.revokeSession(h, 'logged out');
    await this.db.query(`delete from sessions where token_hash = $1`, [h]);
  }

  /** End every session of a user (password changed, user removed): tokens stop working, channels close. */
  async revokeUser(username: string, reason: string): Promise<void> {
    for (const [h, hit] of this.cache) if (hit.user.username === username) this.cache.delete(h);
    this.channels.revokeUser(username, reason);
    await this.db.query(`delete from sessions where username = $1`, [username]);
  }
}

/** users' password hashes, to compare before and after a configuration sync */
export async function passwordHashes(db: Database): Promise<Map<string, string>> {
  const rows = await db.query<{ username: string; passwordHash: string }>(`select username, password_hash as "passwordHash" from users`);
  return new Map(rows.map((r) => [r.username, r.passwordHash]));
}

/**
 * After a configuration sync: end the sessions of every user whose password hash changed
 * (users.yaml is where passwords change). A `password:` given in plain text is hashed again
 * with a fresh salt at every sync, so those users (demos, first setup) log in again then.
 */
export async function revokeChangedPasswords(db: Database, auth: AuthService, before: Map<string, string>): Promise<string[]> {
  const after = await passwordHashes(db);
  const changed = [...before].filter(([u, h]) => after.has(u) && after.get(u) !== h).map(([u]) => u);
  for (const u of changed) await auth.revokeUser(u, 'password changed');
  return changed;
}

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
