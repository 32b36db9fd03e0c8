import { createServer, type Server } from 'node:net';

/**
 * A PostgreSQL server that asks for a password and refuses it, as a server with password
 * authentication does on a wrong password (the machine's own server trusts every local connection).
 */
export async function startPasswordRefusingServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((socket) => {
    let greeted = false;
    socket.on('data', (data) => {
      if (!greeted) {
        greeted = true;
        // SSLRequest (length 8, code 80877103) is answered 'N'; the startup message gets a password request.
        if (data.length === 8 && data.readInt32BE(4) === 80877103) {
          socket.write('N');
          greeted = false;
          return;
        }
        const request = Buffer.alloc(9);
        request.write('R', 0);
        request.writeInt32BE(8, 1);
        request.writeInt32BE(3, 5); // AuthenticationCleartextPassword
        socket.write(request);
        return;
      }
      const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "app"'];
      const body = Buffer.concat([...fields.map((f) => Buffer.from(`${f}\0`)), Buffer.from('\0')]);
      const header = Buffer.alloc(5);
      header.write('E', 0);
      header.writeInt32BE(body.length + 4, 1);
      socket.end(Buffer.concat([header, body]));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A port on 127.0.0.1 where nothing listens. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
