/** `Name: value` header lines of an HTTP or RTSP response head (after its status line), lower-cased names, repeats kept in order. */
export function headerFields(lines: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const list = headers.get(name);
    if (list) list.push(value);
    else headers.set(name, [value]);
  }
  return headers;
}
