/**
 * The OpenAPI 3.1 description, generated from the route definitions the app registers (the
 * same objects), with JSON Schemas generated from the zod schemas that validate the traffic.
 */
import { z } from 'zod';
import type { RouteDefinition } from './route-definition.js';

type JsonObject = Record<string, unknown>;

const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    error: { type: 'string', description: 'a stable code: unauthorized, forbidden, not_found, …' },
    message: { type: 'string' },
    hint: { type: 'string' },
  },
  required: ['error', 'message'],
};

export function buildOpenApiDocument(
  routes: readonly RouteDefinition[],
  info: { readonly title: string; readonly version: string },
): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'The Slipway operator: environments, releases, runs, checks, events, actions, and git webhooks. ' +
        'Bearer tokens carry a role: viewer < deployer < admin.',
    },
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}

function operation(route: RouteDefinition): JsonObject {
  const role = route.access !== 'public' && route.access !== 'webhook' ? route.access : undefined;
  const parameters = [
    ...parametersOf(route.params, 'path'),
    ...parametersOf(route.query, 'query'),
    ...(route.headers ?? []).map((h) => ({
      name: h.name,
      in: 'header',
      required: h.required,
      description: h.description,
      schema: { type: 'string' },
    })),
  ];
  const responses: Record<string, JsonObject> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    responses[status] = spec.schema
      ? {
          description: spec.description,
          content: { 'application/json': { schema: jsonSchema(spec.schema, 'output') } },
        }
      : errorResponse(spec.description);
  }
  if (role) {
    responses['400'] ??= errorResponse('invalid parameters or body');
    responses['401'] ??= errorResponse('missing or unknown bearer token');
    responses['403'] ??= errorResponse(`the token's role is below ${role}`);
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(role ? { description: `Requires role \`${role}\` or higher.` } : {}),
    'x-slipway-access': route.access,
    security: role ? [{ bearerAuth: [] }] : [],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: false,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    ...(route.rawBody
      ? {
          requestBody: {
            required: true,
            description: 'the provider payload; the signature covers these exact bytes',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        }
      : {}),
    responses,
  };
}

function parametersOf(schema: z.ZodObject | undefined, where: 'path' | 'query'): JsonObject[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: where,
    required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
    schema: jsonSchema(field as z.ZodType, 'input'),
  }));
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
  return rest;
}

function errorResponse(description: string): JsonObject {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}
