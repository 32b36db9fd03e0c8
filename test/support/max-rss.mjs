import process from 'node:process';

// Loaded with `node --import` into a CLI run: prints the process's peak resident memory on exit, so a
// test can measure the product's own memory (not the test runner's).
process.on('exit', () => {
  process.stderr.write(`max-rss-kb=${process.resourceUsage().maxRSS}\n`);
});
