// How the fuzzer's requests travel: most over keep-alive connections through node:http (so
// ten thousand requests cost ten thousand requests, not ten thousand handshakes), the few
// that node:http refuses to write (bad bytes, lying framing) as raw bytes on a socket of their own.
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';

/** One generated request. `raw`, when set, is written to the socket as is (method, path and headers are for the report). */
export type FuzzRequest = {
  /** The route it was generated for (`PUT /products/:productId`), or `raw`: for the tally. */
  route: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  raw?: Buffer;
};

/** What came back: a status and body, or the connection ended without an answer. */
export type FuzzAnswer = { status: number; body: string } | { dropped: string };

/** The request, printed by fast-check (in a counterexample) as describeRequest has it. */
export function printable(r: FuzzRequest): FuzzRequest {
  return Object.defineProperty(r, fc.toStringMethod, { value: () => describeRequest(r), enumerable: false });
}

/** A request in a form a person can read in a failure message. */
export function describeRequest(r: FuzzRequest): string {
  const body = r.raw ?? r.body;
  const preview = body ? JSON.stringify(body.subarray(0, 200).toString('latin1')) : '(none)';
  return `${r.raw ? 'RAW ' : ''}${r.method} ${r.path.slice(0, 200)} headers=${JSON.stringify(r.headers).slice(0, 400)} body=${preview}`;
}

const RAW_TIMEOUT_MS = 5_000;

export function createSender(port: number, concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

  function viaHttp(r: FuzzRequest): Promise<FuzzAnswer> {
    return new Promise((resolve) => {
      let req: http.ClientRequest;
      try {
        // node:http frames a HEAD request's body with nothing at all: the length is stated here so
        // the body is not read as the next request (the server would be right to refuse that).
        const framed = r.body && !r.headers['transfer-encoding'] ? { 'content-length': String(r.body.length) } : {};
        const headers = { ...r.headers, ...framed };
        req = http.request({ host: '127.0.0.1', port, agent, method: r.method, path: r.path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err) => resolve({ dropped: `response: ${err.message}` }));
        });
      } catch (err) {
        // node:http refused to write it (an invalid header byte): the generator's fault, not the server's.
        resolve({ status: 0, body: `client refused: ${(err as Error).message}` });
        return;
      }
      req.on('error', (err) => resolve({ dropped: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` }));
      req.end(r.body);
    });
  }

  /**
   * A socket of its own: write the bytes and read the first status line of whatever comes back.
   * The socket is not half-closed: Node.js takes a client that shuts its side as gone and
   * answers nothing, rightly. `Connection: close` in every raw request ends the exchange.
   */
  function viaSocket(raw: Buffer): Promise<FuzzAnswer> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      const done = (answer: FuzzAnswer) => {
        socket.destroy();
        resolve(answer);
      };
      socket.setTimeout(RAW_TIMEOUT_MS, () => done({ dropped: `no answer within ${RAW_TIMEOUT_MS} ms` }));
      socket.on('connect', () => socket.write(raw));
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', (err) => done({ dropped: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` }));
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('latin1');
        const status = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
        if (!status) return done({ dropped: `closed without an answer (${JSON.stringify(text.slice(0, 80))})` });
        // Only the first answer: after it may come the answer to bytes the server read as a next request.
        const start = text.indexOf('\r\n\r\n') + 4;
        const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, start));
        done({ status: Number(status[1]), body: text.slice(start, length ? start + Number(length[1]) : undefined) });
      });
    });
  }

  return {
    send: (r: FuzzRequest) => (r.raw ? viaSocket(r.raw) : viaHttp(r)),
    close: () => agent.destroy(),
  };
}
