import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from './progress.js';
import { JsonProgressRenderer, LineProgressRenderer, TerminalProgressRenderer } from './progress-renderers.js';
import { cliReporter } from './cli-reporter.js';

/** A dump of two tables on a fake clock: 1,000 rows of 100 bytes per second. */
function feed(handle: (event: ProgressEvent) => void, clock: { now: number }): void {
  handle({ type: 'start', operation: 'dump', tables: 2, estimatedRows: 4000 });
  handle({ type: 'table-start', table: 'public.customers', estimatedRows: 1000 });
  for (let rows = 250; rows <= 1000; rows += 250) {
    clock.now += 250;
    handle({ type: 'table-progress', table: 'public.customers', rows, bytes: rows * 100 });
  }
  handle({ type: 'table-end', table: 'public.customers', rows: 1000, bytes: 100_000, storedBytes: 20_000 });
  handle({ type: 'table-start', table: 'public.orders', estimatedRows: 3000 });
  clock.now += 1000;
  handle({ type: 'table-progress', table: 'public.orders', rows: 1000, bytes: 100_000 });
  clock.now += 2000;
  handle({ type: 'table-end', table: 'public.orders', rows: 3000, bytes: 300_000, storedBytes: 60_000 });
  handle({ type: 'end', operation: 'dump', tables: 2, rows: 4000, bytesIn: 400_000, bytesOut: 80_000, seconds: 4 });
}

/** A restore of one table with rows and 48 empty monthly partitions. */
function feedEmptyPartitions(handle: (event: ProgressEvent) => void, operation: 'dump' | 'restore'): void {
  handle({ type: 'start', operation, tables: 49, estimatedRows: 10 });
  handle({ type: 'table-start', table: 'public.customers' });
  handle({ type: 'table-end', table: 'public.customers', rows: 10, bytes: 1000 });
  for (let month = 48; month >= 1; month -= 1) {
    handle({ type: 'table-start', table: `public.orders_${month}` });
    handle({ type: 'table-end', table: `public.orders_${month}`, rows: 0, bytes: 0 });
  }
  handle({ type: 'end', operation, tables: 49, rows: 10, bytesIn: 1000, bytesOut: 1000, seconds: 1 });
}

describe('progress renderers', () => {
  for (const operation of ['dump', 'restore'] as const) {
    it(`sums the tables with no rows into one line (${operation}), on a terminal and in a log`, () => {
      let lines = '';
      const log = new LineProgressRenderer({ write: (t) => (lines += t) }, () => 0);
      feedEmptyPartitions((event) => log.handle(event), operation);
      let terminal = '';
      const renderer = new TerminalProgressRenderer({ write: (t) => (terminal += t), columns: 200 }, () => 0);
      feedEmptyPartitions((event) => renderer.handle(event), operation);
      const summed = '  48 tables with no rows: public.orders_1, public.orders_2, public.orders_3, public.orders_4, public.orders_5, public.orders_6, public.orders_7, public.orders_8, and 40 more\n';
      for (const text of [lines, terminal.replaceAll('\r\x1b[2K', '')]) {
        expect(text).toContain(summed);
        expect(text).not.toMatch(/orders_\d+: 0 rows/);
        expect(text).toMatch(new RegExp(`${operation}: 49 tables, 10 rows`));
      }
      // A restore still lists the tables that have rows.
      if (operation === 'restore') expect(lines).toContain('  public.customers: 10 rows, 1.0 kB\n');
    });
  }

  it('names a single empty table as it would any table', () => {
    let text = '';
    const renderer = new LineProgressRenderer({ write: (t) => (text += t) }, () => 0);
    renderer.handle({ type: 'start', operation: 'restore', tables: 1, estimatedRows: 0 });
    renderer.handle({ type: 'table-end', table: 'public.empty', rows: 0, bytes: 0 });
    renderer.handle({ type: 'end', operation: 'restore', tables: 1, rows: 0, bytesIn: 0, bytesOut: 0, seconds: 1 });
    expect(text).toMatch(/^ {2}public\.empty: 0 rows\nrestore: 1 tables/);
  });

  it('draws one status line on a terminal: table, rows against the estimate, rows/s, MB/s, ETA; then the summary', () => {
    let text = '';
    const clock = { now: 0 };
    const renderer = new TerminalProgressRenderer({ write: (t) => (text += t), columns: 200 }, () => clock.now, 100);
    feed((event) => renderer.handle(event), clock);
    const frames = text.split('\r\x1b[2K').filter(Boolean);
    expect(frames).toContain('dump [1/2] public.customers  500/1,000 rows  1,000 rows/s  100.0 kB/s  ETA 3.5s');
    // After a second on orders: 2,000 of the 4,000 estimated rows in 2 s → 2 s left.
    expect(frames).toContain('dump [2/2] public.orders  1,000/3,000 rows  1,000 rows/s  100.0 kB/s  ETA 2.0s');
    expect(text.endsWith('dump: 2 tables, 4,000 rows, 400.0 kB in, 80.0 kB out, 4.0s (1,000 rows/s, 100.0 kB/s)\n')).toBe(true);
  });

  it('redraws at most once per interval', () => {
    let draws = 0;
    const clock = { now: 0 };
    const renderer = new TerminalProgressRenderer({ write: (t) => (draws += t.startsWith('\r\x1b[2Kdump') ? 1 : 0) }, () => clock.now, 1000);
    renderer.handle({ type: 'start', operation: 'dump', tables: 1, estimatedRows: 100 });
    renderer.handle({ type: 'table-start', table: 't', estimatedRows: 100 });
    for (let i = 1; i <= 100; i += 1) {
      clock.now += 10;
      renderer.handle({ type: 'table-progress', table: 't', rows: i, bytes: i });
    }
    expect(draws).toBe(2); // the table start, and once a second after it
  });

  it('prints a log message above the status line without mixing them', () => {
    let text = '';
    const clock = { now: 0 };
    const renderer = new TerminalProgressRenderer({ write: (t) => (text += t) }, () => clock.now);
    renderer.handle({ type: 'start', operation: 'restore', tables: 1, estimatedRows: 10 });
    renderer.handle({ type: 'table-start', table: 'public.t', estimatedRows: 10 });
    renderer.message('wipe: dropped schema public');
    expect(text).toBe('\r\x1b[2Krestore [1/1] public.t  0/10 rows  0 rows/s  0.0 kB/s\r\x1b[2Kwipe: dropped schema public\n');
  });

  it('writes plain lines when not a terminal: no escape codes, a line for a long table, the summary', () => {
    let text = '';
    const clock = { now: 0 };
    const renderer = new LineProgressRenderer({ write: (t) => (text += t) }, () => clock.now, 1000);
    feed((event) => renderer.handle(event), clock);
    expect(text).not.toContain('\x1b');
    expect(text).toBe(
      '  public.customers: 1,000 rows so far, 1,000 rows/s, 100.0 kB/s, ETA 3.0s\n' +
        '  public.orders: 1,000 rows so far, 1,000 rows/s, 100.0 kB/s, ETA 2.0s\n' +
        'dump: 2 tables, 4,000 rows, 400.0 kB in, 80.0 kB out, 4.0s (1,000 rows/s, 100.0 kB/s)\n',
    );
  });

  it('writes JSON lines for scripts, with progress thinned out', () => {
    let text = '';
    const clock = { now: 0 };
    const renderer = new JsonProgressRenderer({ write: (t) => (text += t) }, () => clock.now, 1000);
    feed((event) => renderer.handle(event), clock);
    const events = text.trim().split('\n').map((line) => JSON.parse(line) as ProgressEvent);
    expect(events.map((e) => e.type)).toEqual(['start', 'table-start', 'table-progress', 'table-end', 'table-start', 'table-progress', 'table-end', 'end']);
    expect(events.at(-1)).toEqual({ type: 'end', operation: 'dump', tables: 2, rows: 4000, bytesIn: 400_000, bytesOut: 80_000, seconds: 4 });
  });

  it('prints nothing but warnings with --quiet', () => {
    let text = '';
    const stderr = { write: (t: string) => (text += t), isTTY: true } as unknown as NodeJS.WriteStream;
    const reporter = cliReporter({ quiet: true, stderr });
    reporter.info('dumping shop');
    feed((event) => reporter.progress?.(event), { now: 0 });
    expect(text).toBe('');
    reporter.warn('no salt');
    expect(text).toBe('warning: no salt\n');
  });
});
