/**
 * API bearer tokens with roles (viewer < deployer < admin). Only SHA-256 digests are kept in
 * memory, and a presented token is compared against every digest in constant time, so neither
 * timing nor a heap dump gives a token away. Tokens come from a YAML file (which may hold just
 * the digests, so the tokens themselves are not at rest) and from an environment variable.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidArgumentError } from '../core/errors.js';
import { type Actor, ROLES, type Role } from '../operator/operator-backend.js';

const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 0, deployer: 1, admin: 2 };

/** True when `role` may do what `required` allows. */
export function roleAllows(role: Role, required: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[required];
}

/** The hex SHA-256 of a token, as the tokens file stores it. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

interface StoredToken {
  readonly name: string;
  readonly role: Role;
  readonly digest: Buffer;
}

const tokensFileSchema = z.object({
  tokens: z.array(
    z.union([
      z.object({ name: z.string().min(1), role: z.enum(ROLES), sha256: z.string().regex(/^[0-9a-f]{64}$/i) }),
      z.object({ name: z.string().min(1), role: z.enum(ROLES), token: z.string().min(16) }),
    ]),
  ),
});

export interface TokenSources {
  /** YAML: `tokens: [{ name, role, sha256 }]` (or `token` instead of `sha256`). */
  readonly file?: string;
  /** `name:role:token` entries separated by commas or whitespace. */
  readonly env?: string;
}

export class ApiTokens {
  readonly #tokens: readonly StoredToken[];

  private constructor(tokens: readonly StoredToken[]) {
    this.#tokens = tokens;
  }

  /**
   * @example ApiTokens.fromList([{ name: 'ci', role: 'deployer', token: 'a-long-random-token' }])
   */
  static fromList(entries: readonly { name: string; role: Role; token: string }[]): ApiTokens {
    return new ApiTokens(entries.map((e) => ({ name: e.name, role: e.role, digest: digestOf(e.token) })));
  }

  /** Reads `SLIPWAY_API_TOKENS_FILE` and `SLIPWAY_API_TOKENS` unless given explicitly. */
  static async load({
    file = process.env['SLIPWAY_API_TOKENS_FILE'],
    env = process.env['SLIPWAY_API_TOKENS'],
  }: TokenSources = {}): Promise<ApiTokens> {
    const tokens: StoredToken[] = [];
    if (file) {
      const parsed = tokensFileSchema.safeParse(parseYaml(await readFile(file, 'utf8')));
      if (!parsed.success) {
        // The zod message could quote a token; report the paths only.
        const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
        throw new InvalidArgumentError(`invalid API tokens file ${file} at ${where}`, {
          hint: 'expected `tokens: [{ name, role: viewer|deployer|admin, sha256: <hex digest> }]`',
        });
      }
      for (const entry of parsed.data.tokens) {
        tokens.push({
          name: entry.name,
          role: entry.role,
          digest: 'sha256' in entry ? Buffer.from(entry.sha256, 'hex') : digestOf(entry.token),
        });
      }
    }
    for (const [index, item] of (env ?? '')
      .split(/[\s,]+/)
      .filter(Boolean)
      .entries()) {
      const [name, role, ...rest] = item.split(':');
      const token = rest.join(':');
      if (!name || !isRole(role) || token.length < 16) {
        throw new InvalidArgumentError(`SLIPWAY_API_TOKENS entry ${index + 1} is not name:role:token`, {
          hint: 'roles are viewer, deployer and admin; tokens need at least 16 characters',
        });
      }
      tokens.push({ name, role, digest: digestOf(token) });
    }
    return new ApiTokens(tokens);
  }

  get size(): number {
    return this.#tokens.length;
  }

  /** The actor a bearer token belongs to, or undefined. Compares against every entry. */
  authenticate(token: string): Actor | undefined {
    const digest = digestOf(token);
    let found: StoredToken | undefined;
    for (const stored of this.#tokens) {
      // No early exit: the time taken does not depend on which entry (if any) matches.
      if (timingSafeEqual(stored.digest, digest) && found === undefined) found = stored;
    }
    return found ? { name: found.name, role: found.role } : undefined;
  }
}

function digestOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function isRole(value: string | undefined): value is Role {
  return (ROLES as readonly string[]).includes(value ?? '');
}
