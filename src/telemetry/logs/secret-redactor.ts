/**
 * Redacts secrets from text about to leave the process (a log line, a notification): the values
 * of environment variables whose names say they are secret, the password of any URL
 * (`postgres://user:pass@host`), and bearer/Splunk/Basic tokens in authorization values. Keys are
 * redacted by pino's `redact` paths as well; this catches the same secret inside a message, an
 * error text or a connection string, where no key names it.
 */

const SECRET_NAME =
  /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ROUTING_?KEY|WEBHOOK_?URL|CREDENTIAL)/i;
/** Values this short would redact ordinary words; no real secret is this short. */
const MIN_SECRET_LENGTH = 6;
export const REDACTED = '[redacted]';

export interface SecretRedactor {
  /** `text` with every known secret replaced by `[redacted]`. */
  redact(text: string): string;
}

/**
 * @example
 * const { redact } = createSecretRedactor();   // reads process.env once
 * redact('connect postgres://app:hunter22@db/x') // 'connect postgres://app:[redacted]@db/x'
 */
export function createSecretRedactor({
  env = process.env,
  extra = [],
}: {
  readonly env?: NodeJS.ProcessEnv;
  /** Further secret values (e.g. read from a file). */
  readonly extra?: readonly string[];
} = {}): SecretRedactor {
  const values = [
    ...Object.entries(env)
      .filter(([name, value]) => SECRET_NAME.test(name) && value !== undefined)
      .map(([, value]) => value as string),
    ...extra,
  ]
    .flatMap((v) => [v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)])
    .filter((v) => v.length >= MIN_SECRET_LENGTH);
  // Longest first, so a secret containing another is replaced whole.
  const unique = [...new Set(values)].sort((a, b) => b.length - a.length);
  const known = unique.length > 0 ? new RegExp(unique.map(escapeRegExp).join('|'), 'g') : undefined;
  return {
    redact: function redactSecrets(text) {
      let out = known ? text.replace(known, REDACTED) : text;
      // scheme://user:password@host — keep the user, drop the password.
      out = out.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'\\]+):([^\s@/"'\\]+)@/gi, `$1:${REDACTED}@`);
      // Authorization schemes with a credential after them.
      out = out.replace(/\b(Bearer|Splunk|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/g, `$1 ${REDACTED}`);
      // password=... in key=value connection strings.
      out = out.replace(/\b(password|pwd|secret|token)=([^\s&;"'\\]+)/gi, `$1=${REDACTED}`);
      return out;
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
