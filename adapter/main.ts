/**
 * qemu-replay-dap: the debug adapter as a Node program. DAP on stdin/stdout, or on 127.0.0.1:PORT with
 * `--server=PORT` (one session per connection), for any DAP client.
 */
import * as net from 'node:net';
import { QemuReplaySession } from './dap/session';

const serverArg = process.argv.find((a) => a.startsWith('--server='));
if (serverArg) {
  const port = Number(serverArg.slice('--server='.length));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`qemu-replay-dap: --server needs a port number, not "${serverArg.slice(9)}"\n`);
    process.exit(2);
  }
  const server = net.createServer((socket) => {
    const session = new QemuReplaySession();
    session.setRunAsServer(true);
    session.start(socket, socket);
    socket.on('error', () => socket.destroy());
  });
  server.listen(port, '127.0.0.1', () => {
    process.stderr.write(`qemu-replay-dap listening on 127.0.0.1:${(server.address() as net.AddressInfo).port}\n`);
  });
} else {
  const session = new QemuReplaySession();
  session.start(process.stdin, process.stdout);
}
