/** Day and month window boundaries in the county's local time. Pure. */

const DAY = 86_400_000;

export function dayStart(t: number, tzOffsetMinutes: number): number {
  const off = tzOffsetMinutes * 60_000;
  return Math.floor((t + off) / DAY) * DAY - off;
}

export function monthStart(t: number, tzOffsetMinutes: number): number {
  const off = tzOffsetMinutes * 60_000;
  const d = new Date(t + off);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) - off;
}

export function nextDayStart(t: number, tz: number): number {
  return dayStart(t, tz) + DAY;
}

export function nextMonthStart(t: number, tz: number): number {
  const off = tz * 60_000;
  const d = new Date(t + off);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - off;
}
