// socksStream loads the SOCKS client when a host behind a proxy is first reached (not at
// start-up): through a minimal SOCKS5 server here, the proxy is asked for the name (it
// resolves it: .onion works) and the stream carries bytes both ways.
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { socksStream } from '../../../src/transport/proxy.js';

describe('socksStream', () => {
  const servers: net.Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  /** Greeting, then CONNECT by domain name; then an echo that prefixes what it returns. */
  async function socks5(asked: { host?: string; port?: number }): Promise<number> {
    const server = net.createServer((c) => {
      let stage = 0;
      c.on('data', (buf) => {
        if (stage === 0) {
          expect([...buf.subarray(0, 2)]).toEqual([5, 1]);
          c.write(Buffer.from([5, 0]));
          stage = 1;
        } else if (stage === 1) {
          expect([...buf.subarray(0, 4)]).toEqual([5, 1, 0, 3]);
          const len = buf[4];
          asked.host = buf.subarray(5, 5 + len).toString();
          asked.port = buf.readUInt16BE(5 + len);
          c.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]));
          stage = 2;
        } else {
          c.write(Buffer.concat([Buffer.from('echo:'), buf]));
        }
      });
    });
    servers.push(server);
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    return (server.address() as net.AddressInfo).port;
  }

  it('asks the proxy for the host by name and carries the bytes', async () => {
    const asked: { host?: string; port?: number } = {};
    const port = await socks5(asked);
    const stream = await socksStream({ host: '127.0.0.1', port }, { host: 'abcdefgh.onion', port: 22 }, 5000);
    expect(asked).toEqual({ host: 'abcdefgh.onion', port: 22 });
    const reply = new Promise<string>((res) => stream.once('data', (b: Buffer) => res(b.toString())));
    stream.write('SSH-2.0-x\r\n');
    expect(await reply).toBe('echo:SSH-2.0-x\r\n');
    stream.destroy();
  });
});
