import { describe, expect, it } from 'vitest';
import { analyzeConfig, ConfigError, parseConfig } from './load.js';
import { closestName, editDistance } from './did-you-mean.js';

const DATASTORE = 'datastore:\n  local_disk: { dir: /tmp }\n';

describe('config problems', () => {
  it('a YAML syntax error carries its line and column', () => {
    const text = `source:\n  connection_uri: x\n  skip: [ { database: public, table: a }\n${DATASTORE}`;
    const { problems } = analyzeConfig(text, 'conf.yaml', {});
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem.message).toMatch(/^invalid YAML: /);
      expect(problem.line).toBeGreaterThanOrEqual(3);
      expect(problem.column).toBeGreaterThanOrEqual(1);
    }
    expect(() => parseConfig(text, 'conf.yaml', {})).toThrow(/^conf\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('a tab where YAML wants spaces is located', () => {
    const { problems } = analyzeConfig(`${DATASTORE}source:\n\tconnection_uri: x\n`, 'conf.yaml', {});
    expect(problems[0]).toMatchObject({ line: 4 });
  });

  it('an unknown key gets the closest known key of its object', () => {
    const text = `source:\n  transfromers: []\n  skip_dta: []\n${DATASTORE}`;
    const error = (() => {
      try {
        parseConfig(text, 'conf.yaml', {});
      } catch (caught) {
        return caught as ConfigError;
      }
      throw new Error('accepted');
    })();
    expect(error.message).toContain('conf.yaml:2:3: source.transfromers: unknown key (did you mean "transformers"?)');
    expect(error.message).toContain('conf.yaml:3:3: source.skip_dta: unknown key (did you mean "skip_data"?)');
  });

  it('suggests within arrays and unions, and nothing for a key unlike any', () => {
    const text = [
      'source:',
      '  transformers:',
      '    - database: public',
      '      table: t',
      '      columns:',
      '        - { name: a, transfomer_name: email }',
      '        - { name: b, transformer_name: email, colour: red }',
      'datastore:',
      '  aws: { bucket: b, regoin: eu-west-1 }',
      '',
    ].join('\n');
    const { problems } = analyzeConfig(text, 'conf.yaml', {});
    const messages = problems.map((p) => `${p.keyPath}: ${p.message}`);
    expect(messages).toContain('source.transformers[0].columns[0].transfomer_name: unknown key (did you mean "transformer_name"?)');
    expect(messages).toContain('source.transformers[0].columns[1].colour: unknown key');
    expect(messages).toContain('datastore.aws.regoin: unknown key (did you mean "region"?)');
  });
});

describe('closest names', () => {
  it('counts a swap of neighbouring letters as one edit', () => {
    expect(editDistance('frist-name', 'first-name')).toBe(1);
    expect(editDistance('transfromers', 'transformers')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('suggests only names close enough to be the one meant', () => {
    expect(closestName('frist-name', ['email', 'first-name', 'last-name'])).toBe('first-name');
    expect(closestName('Email', ['email', 'mail'])).toBe('email');
    expect(closestName('skip', ['keep', 'salt'])).toBeUndefined();
    expect(closestName('phone', ['redacted', 'email'])).toBeUndefined();
  });
});
