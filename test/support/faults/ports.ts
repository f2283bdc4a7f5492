// Free loopback ports for servers a fault test starts itself: ask the OS (listen on port 0,
// read the port, close). A port can be taken again between the close and the server's bind;
// that race is short and the server's start then fails loudly rather than sharing a port.
import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('the OS gave no port'))));
    });
  });
}

/** Resolves once something accepts TCP connections on the port, or rejects at the deadline. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => (socket.destroy(), resolve(false)));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Where a cluster's ports are drawn: above the stack's 9092–9097, and below Linux's ephemeral
 * range (32768–60999 by default, /proc/sys/net/ipv4/ip_local_port_range). A port in that range
 * can be handed to any outgoing connection of the tests running beside it, between the check
 * here and the broker's bind, or while a killed broker is down. Twice in a loaded npm test a
 * node did not come up in time (once on port 39408, inside that range); a port taken under it
 * is the likely cause, and one this range rules out.
 */
const CLUSTER_PORTS = { from: 20_000, below: 32_768 };

/**
 * A first port p such that p .. p+count-1 (and, with `alsoAt`, the same span at each offset)
 * are all free: for a Kafka cluster whose node ports follow from its first port. Drawn at
 * random from CLUSTER_PORTS, the whole span with it.
 */
export async function freePortRange(count: number, alsoAt: number[] = []): Promise<number> {
  const span = count + Math.max(0, ...alsoAt);
  const choices = Math.floor((CLUSTER_PORTS.below - CLUSTER_PORTS.from - span) / 2);
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = CLUSTER_PORTS.from + 2 * Math.floor(Math.random() * choices);
    const ports = [0, ...alsoAt].flatMap((offset) => Array.from({ length: count }, (_, i) => first + offset + i));
    if ((await Promise.all(ports.map(portFree))).every(Boolean)) return first;
  }
  throw new Error(`no free run of ${count} ports found`);
}
