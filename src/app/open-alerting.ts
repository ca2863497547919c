/**
 * Opens the operator's alerting from configuration: the notifier of each channel of alerts.yaml
 * (its secret read from the environment variable the file names, never logged), the bounded
 * dispatcher in front of them with its drop counter on the operator's /metrics registry, and the
 * alert loop that evaluates the operator's events. A channel whose variable is unset is reported
 * once, by variable name, and its notifications are dropped (counted as `unconfigured`). Secrets
 * quoted in a summary (an error text) are redacted before a notification is queued.
 */
import type { Registry } from 'prom-client';
import type { Delivery } from '../alerting/alert-evaluator.js';
import type { Notification } from '../alerting/notification.js';
import { type DispatcherOptions, NotificationDispatcher } from '../alerting/notification-dispatcher.js';
import type { Notifier } from '../alerting/notifier.js';
import { AlertmanagerNotifier } from '../alerting/notifiers/alertmanager-notifier.js';
import { EmailNotifier } from '../alerting/notifiers/email-notifier.js';
import { PagerDutyNotifier } from '../alerting/notifiers/pagerduty-notifier.js';
import { SlackNotifier } from '../alerting/notifiers/slack-notifier.js';
import { WebhookNotifier } from '../alerting/notifiers/webhook-notifier.js';
import { AlertLoop, type AlertLoopOptions } from '../operator/alert-loop.js';
import type { AlertsFile, ChannelConfig } from '../project/alerts-schema.js';
import type { Logger } from '../telemetry/logger.js';
import { createSecretRedactor } from '../telemetry/logs/secret-redactor.js';
import { alertNotificationsDroppedCounter } from '../telemetry/metrics/alert-notifications-dropped.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface AlertingOptions
  extends Omit<AlertLoopOptions, 'deliver' | 'logger'>,
    Pick<DispatcherOptions, 'maxQueue' | 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'timeoutMs'> {
  /** Where the channels' secrets are read. Default `process.env`. */
  readonly env?: Env;
  /** The /metrics registry the drop counter joins. */
  readonly registry?: Registry;
  readonly logger: Logger;
}

export interface Alerting {
  readonly loop: AlertLoop;
  readonly dispatcher: NotificationDispatcher;
  /** Stops evaluating and delivers what is queued within `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}

export function openAlerting(options: AlertingOptions): Alerting {
  const { env = process.env, registry, logger } = options;
  const notifiers = new ChannelNotifiers(env, logger);
  const { redact } = createSecretRedactor({ env: { ...process.env, ...env } });
  let channels: AlertsFile['channels'] = {};
  const counted = registry ? alertNotificationsDroppedCounter(registry) : undefined;
  const dispatcher = new NotificationDispatcher({
    notifier: (channel) => notifiers.get(channel, channels[channel]),
    logger,
    ...pick(options, ['maxQueue', 'maxAttempts', 'baseDelayMs', 'maxDelayMs', 'timeoutMs']),
    onDrop: (channel, reason, count) => counted?.(channel, reason, count),
  });
  const loop = new AlertLoop({
    ...options,
    config: async () => {
      const config = await options.config();
      channels = config?.channels ?? {};
      return config;
    },
    // Summaries quote error texts: a secret in one (a URL's password, a token) never leaves.
    deliver: (deliveries: readonly Delivery[]) =>
      dispatcher.push(deliveries.map((d) => ({ ...d, notification: redacted(d.notification, redact) }))),
    logger,
  });
  return {
    loop,
    dispatcher,
    close: async (deadlineMs = 5000) => {
      await loop.stop();
      await dispatcher.close(deadlineMs);
      notifiers.close();
    },
  };
}

function redacted(n: Notification, redact: (text: string) => string): Notification {
  return {
    ...n,
    alerts: n.alerts.map((a) => ({
      ...a,
      summary: redact(a.summary),
      labels: Object.fromEntries(Object.entries(a.labels).map(([k, v]) => [k, redact(v)])),
    })),
  };
}

/** Builds each channel's notifier once per configuration. */
class ChannelNotifiers {
  readonly #env: Env;
  readonly #logger: Logger;
  readonly #built = new Map<string, { key: string; notifier: Notifier | undefined }>();

  constructor(env: Env, logger: Logger) {
    this.#env = env;
    this.#logger = logger;
  }

  get(channel: string, config: ChannelConfig | undefined): Notifier | undefined {
    if (!config) return undefined;
    const key = JSON.stringify(config);
    const built = this.#built.get(channel);
    if (built?.key === key) return built.notifier;
    if (built?.notifier instanceof EmailNotifier) built.notifier.close();
    const notifier = this.#build(channel, config);
    this.#built.set(channel, { key, notifier });
    return notifier;
  }

  close(): void {
    for (const { notifier } of this.#built.values()) if (notifier instanceof EmailNotifier) notifier.close();
    this.#built.clear();
  }

  #build(channel: string, c: ChannelConfig): Notifier | undefined {
    const secret = (variable: string): string | undefined => {
      const value = this.#env[variable]?.trim();
      if (!value)
        this.#logger.warn(
          { channel, variable },
          `alert channel ${channel}: ${variable} is not set; its notifications are dropped`,
        );
      return value || undefined;
    };
    switch (c.type) {
      case 'slack': {
        const webhookUrl = secret(c.webhook_url_env);
        return webhookUrl ? new SlackNotifier({ channel, webhookUrl }) : undefined;
      }
      case 'pagerduty': {
        const routingKey = secret(c.routing_key_env);
        return routingKey
          ? new PagerDutyNotifier({ channel, routingKey, ...(c.url ? { url: c.url } : {}) })
          : undefined;
      }
      case 'webhook': {
        const key = secret(c.secret_env);
        return key ? new WebhookNotifier({ channel, url: c.url, secret: key }) : undefined;
      }
      case 'email': {
        const password = c.password_env ? secret(c.password_env) : undefined;
        if (c.password_env && password === undefined) return undefined;
        return new EmailNotifier({
          channel,
          host: c.host,
          port: c.port,
          from: c.from,
          to: c.to,
          ...(c.secure === undefined ? {} : { secure: c.secure }),
          ...(c.user ? { user: c.user } : {}),
          ...(password ? { password } : {}),
        });
      }
      case 'alertmanager':
        return new AlertmanagerNotifier({ channel, url: c.url });
    }
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  return Object.fromEntries(keys.flatMap((k) => (o[k] === undefined ? [] : [[k, o[k]]]))) as Partial<
    Pick<T, K>
  >;
}
