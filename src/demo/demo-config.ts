import { stringify } from 'yaml';
import { chooseTransformer } from '../scan/transformer-choice.js';
import type { TransformerRegistry } from '../transformers/registry.js';

/** The conf.yaml the demo writes: the sample shop's sensitive columns, each with a transformer. */
export function demoConfigYaml(options: { sourceUri: string; storeDir: string; salt: string; registry: TransformerRegistry }): string {
  const pick = (...names: string[]) => chooseTransformer(options.registry, names);
  const column = (name: string, transformer: string, transformerOptions?: Record<string, unknown>) => ({
    name,
    transformer_name: transformer,
    ...(transformerOptions && { transformer_options: transformerOptions }),
  });
  const redactedOptions = (transformer: string, width: number) => (transformer === 'redacted' ? { character: '#', width } : undefined);
  const lastName = pick('last-name', 'redacted');
  const phone = pick('phone-number', 'redacted');
  const street = pick('street-address', 'address', 'redacted');
  const card = pick('credit-card', 'redacted');
  const iban = pick('iban', 'redacted');
  const config = {
    salt: options.salt,
    source: {
      connection_uri: options.sourceUri,
      transformers: [
        {
          database: 'public',
          table: 'customers',
          columns: [
            column('first_name', pick('first-name')),
            column('last_name', lastName, redactedOptions(lastName, 4)),
            column('email', pick('email')),
            column('phone', phone, redactedOptions(phone, 8)),
            column('street_address', street, redactedOptions(street, 8)),
            column('card_number', card, redactedOptions(card, 12)),
            column('iban', iban, redactedOptions(iban, 12)),
          ],
        },
        {
          database: 'public',
          table: 'orders',
          columns: [column('shipping_address', pick('street-address', 'address', 'redacted'), redactedOptions(street, 8))],
        },
      ],
      // A quarter of the orders, and every customer and product they reference: foreign keys still hold.
      database_subset: {
        database: 'public',
        table: 'orders',
        strategy_name: 'random',
        strategy_options: { percent: 25, seed: 'demo' },
        passthrough_tables: ['products'],
      },
    },
    datastore: { local_disk: { dir: options.storeDir } },
  };
  return [
    '# The replibyte demo config, written by `replibyte demo` (run it again to start over).',
    '# The source is a throwaway PostgreSQL the demo started, filled with made-up customers and orders.',
    '# `salt` makes the transformers deterministic: the same email gives the same fake email in every',
    '# table and every run. In a real config, read it from the environment: salt: $TRANSFORMER_SALT',
    stringify(config, { lineWidth: 0 }).trimEnd(),
    '# database_subset keeps 25% of the orders (seeded: the same rows every run), every customer they',
    '# reference, and all products (passthrough): a smaller copy in which every foreign key still holds.',
    '',
  ].join('\n');
}
