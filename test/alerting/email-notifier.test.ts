/**
 * Email through nodemailer to a REAL SMTP server (the smtp-server package) on loopback, with
 * authentication: the server checks the password, parses each message it receives, and can
 * refuse the next ones (550) like a mailbox that is down.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { EmailNotifier } from '../../src/alerting/notifiers/email-notifier.js';
import { notifierContract, type Received } from './notifier-contract.js';

const PASSWORD = 'smtp-pass-51f0c7';

notifierContract('EmailNotifier', {
  setup: async () => {
    const messages: string[] = [];
    let refuse = 0;
    const server = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'alerts' && auth.password === PASSWORD) callback(null, { user: 'alerts' });
        else callback(new Error('Invalid username or password'));
      },
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (refuse > 0) {
            refuse--;
            const error = new Error('mailbox unavailable') as Error & { responseCode: number };
            error.responseCode = 550;
            callback(error);
            return;
          }
          messages.push(Buffer.concat(chunks).toString('utf8'));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.server.address() as AddressInfo;
    const notifier = new EmailNotifier({
      channel: 'email-oncall',
      host: '127.0.0.1',
      port,
      from: 'slipway@jkl.example',
      to: ['data-oncall@jkl.example'],
      user: 'alerts',
      password: PASSWORD,
      rejectUnauthorized: false,
    });
    return {
      notifier,
      received: async () =>
        messages.map((m): Received => {
          // Unfold headers and decode the quoted-printable body (RFC 2045 soft breaks and =XX).
          const unfolded = m
            .replace(/\r\n[ \t]+/g, ' ')
            .replace(/=\r\n/g, '')
            .replace(/=([0-9A-F]{2})/g, (_x, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
          const status = /X-Slipway-Status: resolved/i.test(unfolded) ? 'resolved' : 'firing';
          return { status, text: unfolded, raw: m };
        }),
      refuseNext: (n) => {
        refuse = n;
      },
      secrets: [PASSWORD],
      stop: async () => {
        notifier.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
});
