// A minimal SMTP server for tests: accepts every message (EHLO, AUTH LOGIN, MAIL, RCPT, DATA)
// and keeps it, with the credentials it was given, so a test can see that a notification was
// mailed and with which password. It offers AUTH LOGIN only and no STARTTLS: Go's PLAIN auth
// (Alertmanager's) refuses to log in over an unencrypted connection, LOGIN does not.
import net from 'node:net';

export interface SinkMail {
  auth?: { user: string; password: string };
  from: string;
  to: string[];
  /** The message as sent (headers and body), dot-stuffing undone. */
  data: string;
}

const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');

export function smtpSink(mails: SinkMail[]): net.Server {
  return net.createServer((sock) => {
    sock.setEncoding('utf8');
    let buf = '';
    let auth: SinkMail['auth'];
    let step: '' | 'user' | 'password' = '';
    let user = '';
    let mail: SinkMail = { from: '', to: [], data: '' };
    let inData = false;
    const say = (line: string) => sock.write(`${line}\r\n`);
    sock.on('error', () => undefined);
    say('220 fleet-test ESMTP');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      for (;;) {
        if (inData) {
          const end = buf.startsWith('.\r\n') ? 0 : buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          mail.data = buf.slice(0, end).replace(/^\.\./gm, '.');
          buf = buf.slice(end === 0 ? 3 : end + 5);
          inData = false;
          mails.push({ ...mail, auth });
          mail = { from: '', to: [], data: '' };
          say('250 queued');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        if (step === 'user') {
          user = b64(line);
          step = 'password';
          say('334 UGFzc3dvcmQ6'); // "Password:"
          continue;
        }
        if (step === 'password') {
          auth = { user, password: b64(line) };
          step = '';
          say('235 authenticated');
          continue;
        }
        const [verb = '', ...args] = line.split(' ');
        switch (verb.toUpperCase()) {
          case 'EHLO':
            sock.write('250-fleet-test\r\n250-AUTH LOGIN\r\n250 8BITMIME\r\n');
            break;
          case 'AUTH':
            if (args[0]?.toUpperCase() !== 'LOGIN') say('504 LOGIN only');
            else if (args[1]) {
              user = b64(args[1]);
              step = 'password';
              say('334 UGFzc3dvcmQ6');
            } else {
              step = 'user';
              say('334 VXNlcm5hbWU6'); // "Username:"
            }
            break;
          case 'MAIL':
            mail.from = line.slice(5).replace(/^FROM:\s*/i, '');
            say('250 ok');
            break;
          case 'RCPT':
            mail.to.push(line.slice(5).replace(/^TO:\s*/i, ''));
            say('250 ok');
            break;
          case 'DATA':
            inData = true;
            say('354 end with .');
            break;
          case 'RSET':
            mail = { from: '', to: [], data: '' };
            say('250 ok');
            break;
          case 'QUIT':
            say('221 bye');
            sock.end();
            return;
          default:
            say('250 ok');
        }
      }
    });
  });
}
