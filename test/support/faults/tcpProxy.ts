// A TCP proxy a fault test controls, between the system and one real part: `cut()` makes the
// part unreachable (the listening port closed, open connections reset), `restore()` brings it
// back on the same port. The part itself keeps running, so no other test sharing it notices.
// The nemesis suite also slows it (`latency`), resets every open connection once (`reset`) or
// swallows every byte (`blackhole`) until `heal()`: a connection that lost bytes is reset
// then, as its stream is broken, the way a peer's TCP stack gives up on a dead route.
import net from 'node:net';

export type TcpProxy = {
  port: number;
  /** Refuses new connections and resets the open ones, as a stopped server would. */
  cut(): Promise<void>;
  restore(): Promise<void>;
  /** Every byte (both ways) arrives `ms` later, in order. */
  latency(ms: number): void;
  /** Resets the open connections; new ones are accepted. */
  reset(): void;
  /** Accepts connections but forwards nothing, either way, until heal(). */
  blackhole(): void;
  /** Back to a plain pipe: no latency; connections that lost bytes in a blackhole are reset. */
  heal(): void;
  close(): Promise<void>;
};

type Link = { client: net.Socket; upstream: net.Socket; lostBytes: boolean };

/** `listenPort`: where the proxy listens (a Kafka node advertises it); any free port by default. */
export async function startTcpProxy(target: { host: string; port: number }, listenPort = 0): Promise<TcpProxy> {
  const links = new Set<Link>();
  let latencyMs = 0;
  let swallowing = false;

  /** Forwards `from` to `to`, through the current latency and blackhole, keeping the order of the chunks. */
  function forward(link: Link, from: net.Socket, to: net.Socket): void {
    let last = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      if (swallowing) {
        link.lostBytes = true;
        return;
      }
      const delay = latencyMs;
      if (delay === 0) {
        last = last.then(() => void (to.destroyed || to.write(chunk)));
        return;
      }
      last = last.then(() => new Promise<void>((r) => setTimeout(() => (to.destroyed || to.write(chunk), r()), delay)));
    });
    from.on('end', () => void last.then(() => to.end()));
  }

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    const link: Link = { client, upstream, lostBytes: false };
    links.add(link);
    const drop = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    forward(link, client, upstream);
    forward(link, upstream, client);
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const stopListening = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  const resetAll = (which: (l: Link) => boolean) => {
    for (const l of [...links].filter(which)) {
      links.delete(l);
      l.client.resetAndDestroy();
      l.upstream.resetAndDestroy();
    }
  };
  const port = await listen(listenPort);
  return {
    port,
    async cut() {
      const closed = stopListening();
      resetAll(() => true);
      await closed;
    },
    async restore() {
      await listen(port);
    },
    latency(ms) {
      latencyMs = ms;
    },
    reset() {
      resetAll(() => true);
    },
    blackhole() {
      swallowing = true;
    },
    heal() {
      latencyMs = 0;
      swallowing = false;
      resetAll((l) => l.lostBytes);
    },
    async close() {
      const closed = stopListening();
      for (const l of links) {
        l.client.destroy();
        l.upstream.destroy();
      }
      links.clear();
      await closed;
    },
  };
}
