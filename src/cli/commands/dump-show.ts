import type { Command } from 'commander';
import type { Manifest } from '../../dump/manifest.js';
import { describeDump } from '../../operations/dump-show.js';
import { requireConfig, type GlobalOptions } from '../context.js';
import { formatBytes, formatTable } from '../../reporting/format.js';

/** `dump show -v NAME|latest`: what a dump holds and how it was made (its provenance), for a reviewer. */
export function registerShowCommand(dump: Command, globals: () => GlobalOptions): void {
  dump
    .command('show')
    .description('show how a dump was made: its transformers, fingerprints of its salt and rules, strict mode and scan results')
    .argument('[name]', 'dump to show: latest or a dump name (or use -v)')
    .option('-v, --value <name>', 'dump to show: latest or a dump name')
    .option('--json', 'print the manifest and its provenance as JSON')
    .action(async (name: string | undefined, options: { value?: string; json?: boolean }) => {
      const config = await requireConfig(globals());
      const { manifest, authenticated } = await describeDump(config, options.value ?? name ?? 'latest');
      if (options.json) {
        const { parts, ...rest } = manifest;
        process.stdout.write(`${JSON.stringify({ ...rest, authenticated, parts: parts.map(({ chunks, ...part }) => ({ ...part, chunks: chunks.length })) }, null, 2)}\n`);
        return;
      }
      process.stdout.write(showText(manifest, authenticated));
    });
}

function showText(manifest: Manifest, authenticated: boolean): string {
  const p = manifest.provenance;
  const lines = [
    `dump ${manifest.name}`,
    `  created      ${manifest.createdAt} by ${manifest.tool}`,
    `  source       ${manifest.engine.kind}${manifest.engine.serverVersion ? ` ${manifest.engine.serverVersion}` : ''}, ${manifest.source.kind}${manifest.source.database ? ` database ${manifest.source.database}` : ''}`,
    `  size         ${manifest.totals.rows} rows, ${formatBytes(manifest.totals.rawBytes)} raw, ${formatBytes(manifest.totals.storedBytes)} stored (${manifest.compression}${manifest.encryption ? ', encrypted' : ', not encrypted'})`,
    `  manifest     ${authenticated ? 'authenticated with the config\'s key' : 'NOT authenticated (the dump is not encrypted: anyone who can write to the store could have changed it)'}`,
  ];
  if (p) {
    lines.push(
      `  salt         fingerprint ${p.saltFingerprint} (from ${p.saltSource === 'config' ? 'the config\'s salt' : p.saltSource === 'encryption_key' ? 'the encryption key' : 'a random value: fakes differ from every other dump'})`,
      `  rules        fingerprint ${p.planFingerprint} (${manifest.transformed.length} transformed column(s))`,
      `  strict mode  ${p.strict ? 'on: every column was transformed or declared safe' : 'off'}`,
      `  scan         ${p.scan.ran ? `${p.scan.mode ?? ''} ${p.scan.rowsScanned ?? 0} rows scanned, ${p.scan.findings ?? 0} finding(s)`.trim() : 'not run'}`,
    );
  } else {
    lines.push('  provenance   not recorded (written by an older replibyte)');
  }
  let text = `${lines.join('\n')}\n`;
  if (manifest.transformed.length > 0) {
    const rows = manifest.transformed.map((t) => [
      `${t.schema}.${t.table}.${t.column}`,
      t.algorithm ?? t.transformer,
      t.options === undefined || JSON.stringify(t.options) === '{}' ? '' : JSON.stringify(t.options),
      t.propagatedFrom ? `follows ${t.propagatedFrom}` : '',
    ]);
    text += `${formatTable(['column', 'transformer', 'options', 'note'], rows)}\n`;
  }
  return text;
}
