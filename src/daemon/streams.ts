// Docker's JSON progress streams (pull, push, load, import, build): the 200 and
// its headers go out at once, then one JSON object per line; a failure after
// that is sent in-band as {"errorDetail":{"message"},"error"}, as dockerd does.
import type { FastifyReply } from 'fastify';
import type { JSONMessage } from '../api/types';
import { messageOf } from '../errors';

export type Emit = (msg: JSONMessage) => void;

export async function progressStream(reply: FastifyReply, work: (emit: Emit) => Promise<void>): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const emit: Emit = (msg) => {
    if (!res.destroyed) res.write(`${JSON.stringify(msg)}\r\n`);
  };
  try {
    await work(emit);
  } catch (err) {
    const message = messageOf(err);
    reply.log.info({ err: message, url: reply.request.url }, 'stream ended with an error');
    emit({ errorDetail: { message }, error: message });
  }
  res.end();
}
