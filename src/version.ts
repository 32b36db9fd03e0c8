import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// package.json sits two levels up from both src/ and dist/ files.
const packageJson = require('../package.json') as { version: string };

export const VERSION = packageJson.version;
export const TOOL_NAME = `replibyte ${VERSION}`;
