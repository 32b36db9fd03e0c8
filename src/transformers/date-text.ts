/**
 * Dates and timestamps in PostgreSQL's ISO text form (DateStyle ISO, as COPY writes them):
 * `2024-01-02`, `2024-01-02 03:04:05.123456`, `2024-01-02 03:04:05+05:30`. The wall-clock fields are
 * shifted in UTC arithmetic and the offset is written back as it was, so a value keeps its shape.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:([ T])(\d{2}):(\d{2}):(\d{2})(\.\d+)?)?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/;

export interface ParsedDate {
  /** Milliseconds since the epoch of the wall-clock time read as UTC. */
  ms: number;
  /** Microseconds beyond the millisecond, kept as they were. */
  fraction: string;
  separator: string | undefined;
  hasTime: boolean;
  offset: string;
}

export function parseIsoDate(value: string): ParsedDate | undefined {
  const m = ISO.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, sep, h = '0', mi = '0', s = '0', fraction = '', offset = ''] = m;
  // MySQL's zero dates (`0000-00-00`, `2024-00-15`) name no day: there is nothing to shift.
  if (Number(y) === 0 || Number(mo) === 0 || Number(d) === 0) return undefined;
  // Date.UTC reads years 0–99 as 1900–1999; setUTCFullYear takes the year as written.
  const date = new Date(Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  date.setUTCFullYear(Number(y));
  const ms = date.getTime();
  return { ms, fraction, separator: sep, hasTime: sep !== undefined, offset };
}

export function formatIsoDate(parsed: ParsedDate, ms: number): string {
  const date = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const day = `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  if (!parsed.hasTime) return day;
  return `${day}${parsed.separator}${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${parsed.fraction}${parsed.offset}`;
}

export const DATE_TYPES = ['date', 'timestamp', 'timestamptz'];
export const DAY_MS = 86_400_000;

/** A column's `timeRange` in epoch milliseconds (wall clock read as UTC), or years 1–9999. */
export function timeRangeOf(column: { timeRange?: [string, string] }): [number, number] {
  if (!column.timeRange) return [YEAR_1, YEAR_10000 - 1];
  return [parseIsoDate(column.timeRange[0])!.ms, parseIsoDate(column.timeRange[1])!.ms];
}

const YEAR_1 = new Date('0001-01-01T00:00:00Z').getTime();
const YEAR_10000 = new Date('9999-12-31T00:00:00Z').getTime() + DAY_MS;
