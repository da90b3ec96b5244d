/**
 * A strict parser for the Prometheus text exposition format (0.0.4), enough to check
 * what our exporter writes: HELP/TYPE comments, `name{l="v",…} value` sample lines,
 * escaped label values. Throws with the line number on anything else.
 */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  samples: ParsedSample[];
  /** metric family name → type from # TYPE */
  types: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(s: string, line: number): number {
  if (s === '+Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  if (s === 'NaN' || s === 'Nan') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

export function parseExposition(text: string): ParsedExposition {
  const samples: ParsedSample[] = [];
  const types = new Map<string, string>();
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const ln = i + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(raw);
      if (!m) throw new Error(`line ${ln}: bad comment ${raw}`);
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3] ?? '')) throw new Error(`line ${ln}: bad type`);
        if (types.has(m[2] as string)) throw new Error(`line ${ln}: duplicate TYPE for ${m[2]}`);
        types.set(m[2] as string, m[3] as string);
      }
      return;
    }
    const nm = NAME.exec(raw);
    if (!nm) throw new Error(`line ${ln}: no metric name: ${raw}`);
    const name = nm[0];
    let rest = raw.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      while (!rest.startsWith('}')) {
        const ln2 = LABEL_NAME.exec(rest);
        if (!ln2) throw new Error(`line ${ln}: bad label name in ${raw}`);
        rest = rest.slice(ln2[0].length);
        if (!rest.startsWith('="')) throw new Error(`line ${ln}: expected =" in ${raw}`);
        rest = rest.slice(2);
        let v = '';
        for (;;) {
          const c = rest[0];
          if (c === undefined) throw new Error(`line ${ln}: unterminated label value`);
          rest = rest.slice(1);
          if (c === '"') break;
          if (c === '\\') {
            const e = rest[0];
            rest = rest.slice(1);
            if (e === 'n') v += '\n';
            else if (e === '\\' || e === '"') v += e;
            else throw new Error(`line ${ln}: bad escape \\${e}`);
          } else v += c;
        }
        if (ln2[0] in labels) throw new Error(`line ${ln}: duplicate label ${ln2[0]}`);
        labels[ln2[0]] = v;
        if (rest.startsWith(',')) rest = rest.slice(1);
        else if (!rest.startsWith('}')) throw new Error(`line ${ln}: expected , or } in ${raw}`);
      }
      rest = rest.slice(1);
    }
    if (!rest.startsWith(' ')) throw new Error(`line ${ln}: expected space before value: ${raw}`);
    const parts = rest.trim().split(/\s+/);
    if (parts.length > 2) throw new Error(`line ${ln}: trailing garbage: ${raw}`);
    samples.push({ name, labels, value: parseValue(parts[0] as string, ln) });
  });
  return { samples, types };
}

/** samples of one name whose labels include `match` */
export function find(p: ParsedExposition, name: string, match: Record<string, string> = {}): ParsedSample[] {
  return p.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}

/** the single sample's value; throws if there is not exactly one */
export function value(p: ParsedExposition, name: string, match: Record<string, string> = {}): number {
  const f = find(p, name, match);
  if (f.length !== 1) throw new Error(`${name}${JSON.stringify(match)}: ${f.length} samples`);
  return (f[0] as ParsedSample).value;
}
