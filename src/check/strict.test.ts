import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { findUndecided } from './strict.js';

const column = (schema: string, table: string, name: string, extra: { generated?: boolean } = {}) => ({ schema, table, name, type: 'text', baseType: 'text', ...extra });

const config = parseConfig(
  `
source:
  keep:
    - { database: public, table: events, columns: [id, kind], reason: no personal data }
    - { database: public, table: '"Audit"', columns: ['"Who"'], reason: test }
datastore: { local_disk: { dir: . } }
`,
  'conf.yaml',
);

const tables = [
  { schema: 'public', name: 'events', columns: [column('public', 'events', 'id'), column('public', 'events', 'kind'), column('public', 'events', 'email')] },
  { schema: 'public', name: 'events_2024', columns: [column('public', 'events_2024', 'id'), column('public', 'events_2024', 'kind'), column('public', 'events_2024', 'email')] },
  {
    schema: 'public',
    name: 'events_child',
    columns: [column('public', 'events_child', 'id'), column('public', 'events_child', 'kind'), column('public', 'events_child', 'email'), column('public', 'events_child', 'note')],
  },
  { schema: 'public', name: 'Audit', columns: [column('public', 'Audit', 'Who'), column('public', 'Audit', 'total', { generated: true })] },
];

describe('findUndecided', () => {
  it('decides a column on the table or any ancestor, and reports it on the farthest table that has it', () => {
    const undecided = findUndecided({
      config,
      tables,
      dataTables: tables.filter((t) => t.name !== 'events'),
      transformed: [{ schema: 'public', table: 'events_child', column: 'email', transformer: 'transient' }],
      ancestors: (table) => (table.name === 'events' ? [] : table.name === 'Audit' ? [] : [{ schema: 'public', name: 'events' }]),
    });
    // events_2024's email is undecided, under events (the name the config uses); events_child's email is
    // decided by its own transient; its own column `note` has no ancestor with it, so it is its own.
    expect(undecided.map((t) => [t.name, t.columns.map((c) => c.name)])).toEqual([
      ['events', ['email']],
      ['events_child', ['note']],
    ]);
  });

  it('takes quoted names as the config writes them, and leaves generated columns out', () => {
    const undecided = findUndecided({ config, tables, dataTables: [{ schema: 'public', name: 'Audit' }], transformed: [] });
    expect(undecided).toEqual([]);
  });
});
