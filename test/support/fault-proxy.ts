import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CannedAnswer {
  status: number;
  body?: string;
}

export interface FaultProxy {
  endpoint: string;
  /** Holds every response back this long before it is sent. */
  delayMs: number;
  /** When it returns an answer, the request is answered with it instead of being forwarded. */
  answer: ((request: IncomingMessage) => CannedAnswer | undefined) | undefined;
  /** Requests seen, for assertions. */
  requests: number;
  /** Stops listening and cuts every open connection, as a crashed server would. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** A loopback HTTP proxy in front of a test server, which slows responses down or answers for it. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const timers = new Set<NodeJS.Timeout>();
  const proxy: FaultProxy = {
    endpoint: '',
    delayMs: 0,
    answer: undefined,
    requests: 0,
    cut: async () => {
      for (const timer of timers) clearTimeout(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    resume: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: async () => {
      if (server.listening) await proxy.cut();
    },
  };
  const later = (fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, proxy.delayMs);
    timers.add(timer);
  };
  const server: Server = createServer((incoming, outgoing) => {
    proxy.requests += 1;
    const canned = proxy.answer?.(incoming);
    if (canned) {
      incoming.resume();
      later(() => {
        outgoing.writeHead(canned.status, canned.body ? { 'content-type': 'application/xml' } : {});
        outgoing.end(incoming.method === 'HEAD' ? undefined : canned.body);
      });
      return;
    }
    const forwarded = request(
      { host: targetUrl.hostname, port: targetUrl.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (response) => {
        later(() => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        });
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    outgoing.on('close', () => forwarded.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  proxy.endpoint = `http://127.0.0.1:${port}`;
  return proxy;
}
