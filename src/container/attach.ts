// Attach: a client's hijacked connection joined to a container's shim. Clients
// may attach before the container starts (docker run does): they wait in a
// queue and are joined when the shim exists, before the process runs, so no
// output is missed.
import type { Duplex } from 'node:stream';
import type { ShimAttach, ShimClient } from '../native/shim-client';
import { detachScanner, STDERR, STDOUT, streamWriter } from './stream';

export interface AttachRequest {
  socket: Duplex;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  detachKeys: Buffer;
  /** With StdinOnce, the client's EOF on stdin closes the container's stdin. */
  closeStdinOnEof: boolean;
}

/**
 * Joins the client to the shim's streams. Resolves once the shim has taken the
 * attach (output from then on reaches the client) with `done`, which resolves
 * when the attach ends (exit, detach or hang-up). The caller ends the socket.
 */
export async function joinAttach(client: ShimClient, req: AttachRequest): Promise<{ done: Promise<void> }> {
  const shim = await client.attach({ stdin: req.stdin, stdinOnce: req.closeStdinOnEof, stdout: req.stdout, stderr: req.stderr });
  return { done: pump(shim, req) };
}

function pump(shim: ShimAttach, req: AttachRequest): Promise<void> {
  const { socket } = req;
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      resolve();
    };
    const outputs = [
      { from: shim.stdout, to: streamWriter(socket, STDOUT, req.tty) },
      { from: shim.stderr, to: streamWriter(socket, STDERR, req.tty) },
    ];
    let open = outputs.length;
    for (const o of outputs) {
      o.from.on('data', (b: Buffer) => o.to(b));
      o.from.on('end', () => {
        if (--open === 0) finish();
      });
    }
    // Leaving ends the shim connection: that ends the container's stdin only
    // for a stdin-once attach (StdinOnce without a tty), as dockerd does.
    const leave = (): void => shim.close();
    const hangUp = (): void => {
      leave();
      finish();
    };
    socket.on('error', hangUp);
    socket.on('close', hangUp);
    if (req.stdin && shim.stdin) {
      const stdin = shim.stdin;
      const scan = detachScanner(req.detachKeys, (b) => stdin.write(b), () => {
        leave();
        socket.end();
        finish();
      });
      socket.on('data', (b: Buffer) => scan(b));
      const endStdin = (): void => {
        if (!done && req.closeStdinOnEof) stdin.end();
      };
      socket.on('end', endStdin);
      socket.resume();
      // The client may have closed its side before any byte, even before this
      // join (`run -i … </dev/null`): that EOF is the container's too.
      if (socket.readableEnded) endStdin();
    } else {
      // Reading nothing from the client, still notice its hang-up.
      socket.on('data', () => undefined);
      socket.resume();
    }
  });
}
