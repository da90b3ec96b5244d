/**
 * Validation of protocol messages outside Fastify (the agent's side, caches, tests):
 * compiled once per schema, bounded error text naming the first problems.
 */
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

export class ProtocolError extends Error {}

/** A function that returns `value` typed when it matches `schema`, else throws a ProtocolError. */
export function checker<S extends TSchema>(schema: S, what: string): (value: unknown) => Static<S> {
  const compiled = Compile(schema);
  return (value: unknown) => {
    if (compiled.Check(value)) return value as Static<S>;
    const problems: string[] = [];
    for (const e of compiled.Errors(value)) {
      problems.push(`${e.instancePath || '/'} ${e.message}`);
      if (problems.length === 3) break;
    }
    throw new ProtocolError(`${what}: ${problems.join('; ').slice(0, 400)}`);
  };
}
