import { BSON } from 'mongodb';
import { MAX_DOCUMENT_BYTES } from '../../encode/bson-documents.js';
import type { ColumnTransform, RowView } from '../../transformers/row-transform.js';
import { ReplibyteError } from '../../errors.js';
import { parseFieldPath, readAtPath, rewriteAtPath, type PathSegment } from '../../transformers/field-path.js';
import { documentOf, topLevelElements, type BsonElement } from '../../encode/bson-elements.js';

/** Decoding that keeps every BSON type as its own class, so that re-encoding gives the same types. */
export const EXACT_BSON = { promoteValues: false, promoteLongs: false, promoteBuffers: false, bsonRegExp: true } as const;

export interface PathStatistics {
  path: string;
  /** Places the path reached (in any document). */
  matched: number;
  /** Of those, values that were not strings (nor null) and were left as they were. */
  notStrings: number;
}

/**
 * Applies the string transformers of one collection to its documents, by field path. A transformer
 * sees strings (and null); any other value at the path (a number, a date, a sub-document) is left as
 * it was and counted, so `dump create` can warn about it.
 */
export class DocumentTransform {
  private readonly paths: Array<{ segments: PathSegment[]; transform: ColumnTransform; statistics: PathStatistics }>;
  private readonly parsed = new Map<string, PathSegment[]>();
  /** The top-level fields the paths start with: the only ones a transform decodes. */
  private readonly firstFields: Set<string>;
  documents = 0;

  constructor(
    columns: readonly string[],
    transforms: readonly ColumnTransform[],
    private readonly where: string,
  ) {
    this.paths = transforms.map((transform) => {
      const path = columns[transform.index]!;
      return { segments: this.segments(path), transform, statistics: { path, matched: 0, notStrings: 0 } };
    });
    this.firstFields = new Set(this.paths.flatMap(({ segments }) => (segments[0]!.kind === 'field' ? [segments[0]!.name] : [])));
  }

  get statistics(): PathStatistics[] {
    return this.paths.map((p) => p.statistics);
  }

  /** The transformed document as one buffer. */
  apply(raw: Buffer): Buffer {
    const pieces = this.applyPieces(raw);
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
  }

  /**
   * The transformed document as pieces to write one after the other. Only the top-level fields the
   * paths start with are decoded and encoded again; every other field goes on as a view of the bytes it
   * was read in, so a document is never copied whole for a transform of one small field.
   */
  applyPieces(raw: Buffer): Buffer[] {
    this.documents += 1;
    const elements = topLevelElements(raw);
    if (!elements) return [this.rewrite(raw, raw)];
    const touched = elements.filter((element) => this.firstFields.has(element.name));
    // A field name given twice: the decoded document keeps one of them; decode it whole, as before.
    if (new Set(touched.map((element) => element.name)).size !== touched.length) return [this.rewrite(raw, raw)];
    if (touched.length === 0) return [raw];
    const partial = this.rewrite(documentOf(touched.map((e) => raw.subarray(e.start, e.end))), raw, elements);
    const replacements = new Map((topLevelElements(partial) ?? []).map((element) => [element.name, element]));
    const header = Buffer.alloc(4);
    const pieces: Buffer[] = [header];
    let size = raw.length;
    let from = 4;
    for (const element of touched) {
      const replacement = replacements.get(element.name);
      // Never the original bytes of a field a path reaches: that would leak what it was meant to hide.
      if (!replacement) throw new ReplibyteError(`${this.where}: internal error: the field ${element.name} is missing from its rewritten form`);
      if (element.start > from) pieces.push(raw.subarray(from, element.start));
      pieces.push(partial.subarray(replacement.start, replacement.end));
      size += replacement.end - replacement.start - (element.end - element.start);
      from = element.end;
    }
    pieces.push(raw.subarray(from));
    if (size > MAX_DOCUMENT_BYTES) {
      const id = BSON.deserialize(documentOf(elements.filter((e) => e.name === '_id').map((e) => raw.subarray(e.start, e.end))), EXACT_BSON)._id as unknown;
      throw new ReplibyteError(`${this.where}: document ${describeId(id)} is ${size} bytes once transformed, over MongoDB's 16 MiB document limit`);
    }
    header.writeInt32LE(size, 0);
    return pieces;
  }

  /**
   * Decodes `document` (the whole document, or only the fields the paths start with), runs the paths
   * over it and encodes it again. Conditions, templates and row options read the fields of `original`,
   * as it was read, before any path is rewritten; only the field a read starts with is decoded for it.
   */
  private rewrite(document: Buffer, original: Buffer, elements?: BsonElement[]): Buffer {
    const decoded = BSON.deserialize(document, EXACT_BSON);
    const readable = new Map<string, BSON.Document>();
    const row: RowView = {
      get: (column) => {
        const segments = this.segments(column);
        const first = segments[0]!.kind === 'field' ? segments[0]!.name : '';
        let root = readable.get(first);
        if (!root) {
          root = elements ? BSON.deserialize(documentOf(elements.filter((e) => e.name === first).map((e) => original.subarray(e.start, e.end))), EXACT_BSON) : BSON.deserialize(original, EXACT_BSON);
          readable.set(first, root);
        }
        return fieldText(readAtPath(root, segments));
      },
    };
    for (const { segments, transform, statistics } of this.paths) {
      statistics.matched += rewriteAtPath(decoded, segments, (value) => {
        if (typeof value === 'string' || value === null) return transform.apply(value, row);
        statistics.notStrings += 1;
        return value;
      });
    }
    const serialized = BSON.serialize(decoded);
    const output = Buffer.from(serialized.buffer, serialized.byteOffset, serialized.byteLength);
    if (!elements && output.length > MAX_DOCUMENT_BYTES) {
      throw new ReplibyteError(`${this.where}: document ${describeId(decoded._id)} is ${output.length} bytes once transformed, over MongoDB's 16 MiB document limit`);
    }
    return output;
  }

  private segments(path: string): PathSegment[] {
    let segments = this.parsed.get(path);
    if (!segments) {
      segments = parseFieldPath(path);
      this.parsed.set(path, segments);
    }
    return segments;
  }
}

/** A field's value as a transformer's row sees it: strings as they are, dates in ISO 8601, numbers as digits. */
function fieldText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** An `_id` for a message: short, and never a whole sub-document. */
export function describeId(id: unknown): string {
  if (id === undefined) return '(without _id)';
  const text = BSON.EJSON.stringify({ _id: id }, { relaxed: true });
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
