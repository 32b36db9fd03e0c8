#!/usr/bin/env node
// The published entry point: the CLI is compiled to dist/ by `npm install` (the `prepare` script).
import('../dist/cli.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    console.error('error: replibyte is not built; run `npm install` (or `npm run build`) first');
    process.exit(1);
  }
  throw error;
});
