/**
 * Email over SMTP (nodemailer): the title as subject, each alert as a paragraph, as text and
 * HTML. The SMTP password comes from an environment variable and is given to the transport only.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import { type Notification, notificationTitle } from '../notification.js';
import { type Notifier, NotifierError } from '../notifier.js';

export interface EmailNotifierOptions {
  readonly channel: string;
  readonly host: string;
  readonly port: number;
  readonly secure?: boolean;
  readonly from: string;
  readonly to: readonly string[];
  readonly user?: string;
  readonly password?: string;
  /** Accept a self-signed certificate (tests). */
  readonly rejectUnauthorized?: boolean;
}

export class EmailNotifier implements Notifier {
  readonly type = 'email' as const;
  readonly channel: string;
  readonly #transport: Transporter;
  readonly #from: string;
  readonly #to: readonly string[];

  constructor(o: EmailNotifierOptions) {
    this.channel = o.channel;
    this.#from = o.from;
    this.#to = o.to;
    this.#transport = nodemailer.createTransport({
      host: o.host,
      port: o.port,
      secure: o.secure ?? false,
      ...(o.user ? { auth: { user: o.user, pass: o.password ?? '' } } : {}),
      tls: { rejectUnauthorized: o.rejectUnauthorized ?? true },
      connectionTimeout: 10_000,
      socketTimeout: 10_000,
    });
  }

  async send(n: Notification): Promise<void> {
    const title = notificationTitle(n);
    const lines = n.alerts.map(
      (a) =>
        `${a.rule} (${a.severity}, owner ${a.owner}) — ${a.summary}\n  since ${a.startsAt}${a.endsAt ? `, resolved ${a.endsAt}` : ''}`,
    );
    try {
      await this.#transport.sendMail({
        from: this.#from,
        to: [...this.#to],
        subject: title,
        text: `${title}\n\n${lines.join('\n\n')}\n\n-- slipway (${n.groupKey})\n`,
        html: `<h2>${escapeHtml(title)}</h2>${n.alerts
          .map(
            (a) =>
              `<p><b>${escapeHtml(a.rule)}</b> (${escapeHtml(a.severity)}, owner ${escapeHtml(a.owner)})<br>${escapeHtml(a.summary)}</p>`,
          )
          .join('')}`,
        headers: { 'X-Slipway-Group': n.groupKey, 'X-Slipway-Status': n.status },
      });
    } catch (error) {
      const code =
        (error as { code?: string; responseCode?: number }).responseCode ?? (error as { code?: string }).code;
      throw new NotifierError(this.channel, `SMTP delivery failed (${String(code ?? 'error')})`);
    }
  }

  close(): void {
    this.#transport.close();
  }
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
