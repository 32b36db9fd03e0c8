import { defineConfig } from 'tsup';

export default defineConfig({
  // The row-transform worker is an entry of its own: worker threads start from a file (parallel-row-transform.ts).
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts', 'row-transform-worker': 'src/encode/row-transform-worker.ts' },
  format: ['esm'],
  target: 'node20',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
});
