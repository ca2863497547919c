/**
 * Where OpenLineage events go: an HTTP endpoint (OpenLineage's HTTP transport: one JSON event
 * per `POST`, `Authorization: Bearer` from OPENLINEAGE_API_KEY when set) or a file of JSON lines.
 */
import { appendFile } from 'node:fs/promises';
import type { LineageTransport, OpenLineageEvent } from './openlineage-recorder.js';

/** `url` is the full endpoint, e.g. `http://marquez:5000/api/v1/lineage`. */
export function httpLineageTransport(
  url: string,
  { apiKey }: { readonly apiKey?: string } = {},
): LineageTransport {
  return async function postLineage(events: readonly OpenLineageEvent[], signal: AbortSignal): Promise<void> {
    for (const event of events) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body: JSON.stringify(event),
        signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) throw new Error(`the lineage endpoint answered ${response.status}`);
    }
  };
}

export function fileLineageTransport(file: string): LineageTransport {
  return async function appendLineage(events: readonly OpenLineageEvent[]): Promise<void> {
    await appendFile(file, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  };
}
