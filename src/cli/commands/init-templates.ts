/** The templates `slipway init` copies (the reference project ships in the package) and its defaults. */
import { fileURLToPath } from 'node:url';

export const TEMPLATES: Readonly<Record<string, string>> = {
  'jkl-fraud': fileURLToPath(new URL('../../../examples/jkl-fraud/', import.meta.url)),
};

/** The environment variable `init --warehouse postgres` reads the database URL from by default. */
export const DEFAULT_URL_ENV = 'SLIPWAY_PG_URL';
