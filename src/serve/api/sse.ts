/**
 * Server-sent events on a hijacked fastify reply: `data: <json>\n\n` per
 * event and `data: [DONE]\n\n` at the end, as OpenAI streams. The stream
 * opens lazily, so an error before the first event is still an ordinary
 * HTTP error response (429, 503, …).
 */
import type { FastifyReply } from 'fastify';

export class SseStream {
  private opened = false;

  constructor(private readonly reply: FastifyReply) {}

  get isOpen(): boolean {
    return this.opened;
  }

  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.reply.hijack();
    this.reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
  }

  send(event: unknown): void {
    this.open();
    if (!this.reply.raw.writableEnded) this.reply.raw.write(`data: ${JSON.stringify(event)}\n\n`);
  }

  end(): void {
    this.open();
    if (!this.reply.raw.writableEnded) this.reply.raw.end('data: [DONE]\n\n');
  }
}
