/**
 * A worker thread of ParallelRowTransform: builds one table's transforms from their recipes, then
 * rewrites the batches of COPY lines it is sent, one after the other. Its own entry of the bundle
 * (dist/row-transform-worker.js, tsup.config.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { builtinTransformers } from '../transformers/builtin/index.js';
import { guardOutput } from '../transformers/column-guard.js';
import { buildColumnTransform } from '../transformers/column-transform.js';
import type { TransformRecipe, ValueTransform } from '../transformers/row-transform.js';
import { CopyRowRewriter } from './copy-row-transform.js';
import type { BatchReply, BatchRequest, WorkerSetup } from './parallel-row-transform.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
let rewriter: CopyRowRewriter | undefined;
let setupError: string | undefined;

try {
  const registry = builtinTransformers();
  // The table's other transforms by column, for options and templates that read a transformed value.
  const byColumn = new Map<string, ValueTransform>();
  const transformOf = (column: string) => byColumn.get(column);
  const transforms = setup.transforms.map(({ index, recipe }: { index: number; recipe: TransformRecipe }) => {
    const definition = registry.get(recipe.transformer);
    if (!definition) throw new Error(`no transformer ${recipe.transformer} in the worker`);
    // A structured clone turns the salt Buffer into a plain Uint8Array: make it a Buffer again.
    const salt = Buffer.from(recipe.salt.buffer, recipe.salt.byteOffset, recipe.salt.byteLength);
    const built = buildColumnTransform(definition, recipe, { column: recipe.column, salt, tableColumns: recipe.tableColumns, transformOf });
    // Other columns read this column's transformed value as the plan does: before its output is checked.
    byColumn.set(setup.columns[index]!, built);
    return { index, apply: recipe.guard ? guardOutput(built, recipe.transformer, recipe.guard.column, recipe.guard.keyColumns) : built };
  });
  rewriter = new CopyRowRewriter(setup.columns, transforms, setup.where);
} catch (error) {
  setupError = error instanceof Error ? error.message : String(error);
}

port.on('message', (request: BatchRequest) => {
  let reply: BatchReply;
  try {
    if (!rewriter) throw new Error(setupError ?? 'the worker has no transforms');
    rewriter.line = request.firstLine;
    const text = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength).toString('utf8');
    const out = Buffer.from(rewriter.rewriteLines(text), 'utf8');
    // A buffer that owns its memory is handed over without a copy; a pooled slice is copied out first.
    const owned = out.byteOffset === 0 && out.buffer.byteLength === out.length ? out : ownCopy(out);
    reply = { seq: request.seq, bytes: owned };
    port.postMessage(reply, [owned.buffer as ArrayBuffer]);
  } catch (error) {
    reply = { seq: request.seq, error: error instanceof Error ? error.message : String(error) };
    port.postMessage(reply);
  }
});

/** A copy with an ArrayBuffer of its own (never a slice of node's shared pool, which must not be transferred). */
function ownCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}
