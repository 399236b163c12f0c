/**
 * The experiment log: JSON Lines, one record per line, appended with one
 * write each (O_APPEND, so lines never interleave). A request record is
 * written when a response completes; a feedback record (POST /v1/feedback)
 * names the request it judges, and the report joins them by request id.
 *
 *   {"type":"request","requestId":"chatcmpl-…","experiment":"routing","variant":"top2","latencyMs":41.2,"time":"…"}
 *   {"type":"feedback","requestId":"chatcmpl-…","variant":"top2","correct":true,"time":"…"}
 */
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface RequestRecord {
  type: 'request';
  /** The response id (e.g. the chat completion id) feedback refers to. */
  requestId: string;
  experiment: string;
  variant: string;
  /** Time from receipt to the last byte of the response. */
  latencyMs: number;
  /** ISO 8601. */
  time: string;
  /** False when the request failed (its latency is kept apart in the report). */
  ok?: boolean;
}

export interface FeedbackRecord {
  type: 'feedback';
  requestId: string;
  variant: string;
  /** Whether the answer was right. */
  correct: boolean;
  time: string;
}

export type LogRecord = RequestRecord | FeedbackRecord;

export interface FeedbackStoreOptions {
  /** Most request ids kept in memory to accept feedback for (oldest forgotten first; default 1 000 000). */
  maxTracked?: number;
}

export class FeedbackStore {
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    /** requestId → variant of the requests feedback may refer to. */
    private readonly tracked: Map<string, string>,
    private readonly maxTracked: number,
  ) {}

  /** Opens (creating) the log; the request ids already in it can receive feedback. */
  static async open(path: string, o: FeedbackStoreOptions = {}): Promise<FeedbackStore> {
    await mkdir(dirname(path), { recursive: true });
    const tracked = new Map<string, string>();
    const max = o.maxTracked ?? 1_000_000;
    if (existsSync(path)) {
      for (const r of parseLog(await readFile(path, 'utf8')).records) {
        if (r.type !== 'request') continue;
        tracked.set(r.requestId, r.variant);
        if (tracked.size > max) tracked.delete(tracked.keys().next().value!);
      }
    }
    return new FeedbackStore(path, await open(path, 'a'), tracked, max);
  }

  /** The variant that served `requestId`, if it is known. */
  variantOf(requestId: string): string | undefined {
    return this.tracked.get(requestId);
  }

  /** Appends a request record (call when the response completes). */
  async recordRequest(r: Omit<RequestRecord, 'type' | 'time'> & { time?: string }): Promise<RequestRecord> {
    const rec: RequestRecord = { type: 'request', requestId: r.requestId, experiment: r.experiment, variant: r.variant, latencyMs: r.latencyMs, time: r.time ?? new Date().toISOString() };
    if (r.ok === false) rec.ok = false;
    this.tracked.set(rec.requestId, rec.variant);
    if (this.tracked.size > this.maxTracked) this.tracked.delete(this.tracked.keys().next().value!);
    await this.append(rec);
    return rec;
  }

  /** Appends feedback for a known request; undefined (nothing written) when the request id is unknown. */
  async recordFeedback(requestId: string, correct: boolean): Promise<FeedbackRecord | undefined> {
    const variant = this.tracked.get(requestId);
    if (variant === undefined) return undefined;
    const rec: FeedbackRecord = { type: 'feedback', requestId, variant, correct, time: new Date().toISOString() };
    await this.append(rec);
    return rec;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain.catch(() => undefined);
    await this.fh.close();
  }

  private append(rec: LogRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`experiment log ${this.path} is closed`));
    const line = `${JSON.stringify(rec)}\n`;
    const p = this.chain.then(() => this.fh.appendFile(line, 'utf8'));
    this.chain = p.catch(() => undefined);
    return p;
  }
}

/** Parses log text; lines that are not records (e.g. a line cut by a crash) are counted, not fatal. */
export function parseLog(text: string): { records: LogRecord[]; badLines: number } {
  const records: LogRecord[] = [];
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as LogRecord;
      if ((r.type === 'request' && typeof r.latencyMs === 'number' && typeof r.variant === 'string') || (r.type === 'feedback' && typeof r.correct === 'boolean')) {
        if (typeof r.requestId === 'string') {
          records.push(r);
          continue;
        }
      }
      badLines++;
    } catch {
      badLines++;
    }
  }
  return { records, badLines };
}
