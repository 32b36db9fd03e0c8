import { BSON } from 'mongodb';
import { MAX_DOCUMENT_BYTES } from '../../encode/bson-documents.js';
import type { ColumnTransform, RowView } from '../../transformers/row-transform.js';
import { ReplibyteError } from '../../errors.js';
import { parseFieldPath, readAtPath, rewriteAtPath, type PathSegment } from '../../transformers/field-path.js';

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
  }

  get statistics(): PathStatistics[] {
    return this.paths.map((p) => p.statistics);
  }

  apply(raw: Buffer): Buffer {
    this.documents += 1;
    const document = BSON.deserialize(raw, EXACT_BSON);
    // Conditions, templates and row options read the document as it was read, before any path is rewritten.
    let original: BSON.Document | undefined;
    const row: RowView = {
      get: (column) => fieldText(readAtPath((original ??= BSON.deserialize(raw, EXACT_BSON)), this.segments(column))),
    };
    for (const { segments, transform, statistics } of this.paths) {
      statistics.matched += rewriteAtPath(document, segments, (value) => {
        if (typeof value === 'string' || value === null) return transform.apply(value, row);
        statistics.notStrings += 1;
        return value;
      });
    }
    const output = Buffer.from(BSON.serialize(document));
    if (output.length > MAX_DOCUMENT_BYTES) {
      throw new ReplibyteError(`${this.where}: document ${describeId(document._id)} is ${output.length} bytes once transformed, over MongoDB's 16 MiB document limit`);
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
