/**
 * Slipway's errors as PostgreSQL ErrorResponse fields, with the SQLSTATE a client can act on:
 * 42501 for a refused read (insufficient privilege), 57014 for the statement timeout (query
 * canceled), 42601/42P01/42703 for the engine's parser, catalog and binder errors, 3F000 for an
 * unknown environment (schema), 57P03 for a standby. Internal failures say nothing of their cause.
 */
import {
  errorMessage,
  InvalidArgumentError,
  ReadRefusedError,
  ReadTimeoutError,
  SlipwayError,
} from '../../core/errors.js';
import type { WireError } from './pg-messages.js';

export function wireError(error: unknown): WireError {
  const hint = error instanceof SlipwayError && error.hint ? { hint: error.hint } : {};
  if (error instanceof ReadRefusedError)
    return { severity: 'ERROR', code: '42501', message: error.message, ...hint };
  if (error instanceof ReadTimeoutError)
    return { severity: 'ERROR', code: '57014', message: error.message, ...hint };
  if (error instanceof InvalidArgumentError) {
    const message = error.message;
    const code = /^Parser Error/.test(message)
      ? '42601'
      : /^Catalog Error/.test(message)
        ? '42P01'
        : /^Binder Error/.test(message)
          ? '42703'
          : /^Conversion Error|^Invalid Input/.test(message)
            ? '22P02'
            : '22023';
    return { severity: 'ERROR', code, message, ...hint };
  }
  if (error instanceof SlipwayError && error.code === 'not_found') {
    return { severity: 'ERROR', code: '3F000', message: error.message, ...hint };
  }
  if (error instanceof SlipwayError && error.code === 'conflict') {
    return { severity: 'ERROR', code: '57P03', message: error.message, ...hint };
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return { severity: 'ERROR', code: '57014', message: 'canceling statement due to user request' };
  }
  // The cause stays in the operator log: its message could name files or settings.
  return { severity: 'ERROR', code: 'XX000', message: 'internal error; see the operator log' };
}

/** The message logged for an internal failure (never sent to the client). */
export function logMessage(error: unknown): string {
  return errorMessage(error);
}
