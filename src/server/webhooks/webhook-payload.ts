/**
 * The JSON payload of a webhook delivery, as providers send it. GitHub's default content type is
 * `application/x-www-form-urlencoded`: the JSON is the value of the form's `payload` field
 * (https://docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers); with
 * `application/json` the body is the JSON itself. The signature is checked over the raw body
 * before this runs, whichever the content type.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { parseJson } from '../route-definition.js';

const FORM = 'application/x-www-form-urlencoded';

/**
 * @example
 * webhookPayload(body, 'application/x-www-form-urlencoded'); // JSON.parse of the payload= field
 */
export function webhookPayload(body: Uint8Array, contentType: string | undefined): unknown {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== FORM) return parseJson(body);
  const payload = new URLSearchParams(Buffer.from(body).toString('utf8')).get('payload');
  if (payload === null) throw new InvalidArgumentError('the form-encoded webhook body has no payload field');
  try {
    return JSON.parse(payload);
  } catch (error) {
    throw new InvalidArgumentError('the webhook payload field is not valid JSON', { cause: error });
  }
}
