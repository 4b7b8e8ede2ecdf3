import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';

export type AppErrorCode = 'not_found' | 'bad_request' | 'unauthorized' | 'forbidden' | 'conflict' | 'payload_too_large' | 'too_many_requests' | 'unavailable';

const STATUS: Record<AppErrorCode, number> = {
  not_found: 404,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  conflict: 409,
  payload_too_large: 413,
  too_many_requests: 429,
  unavailable: 503,
};

/** An error a route throws on purpose; the error handler turns it into its HTTP status and a JSON body. */
export class AppError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
    this.statusCode = STATUS[code];
  }
}

interface ValidationIssue {
  instancePath: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** One error handler for the whole API: typed errors keep their meaning, 5xx hide internals. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      return reply.status(400).send({
        error: 'bad_request',
        message: `invalid ${err.validationContext ?? 'request'}`,
        issues: (err.validation as unknown as ValidationIssue[]).map((v) => ({ path: v.instancePath, message: v.message, ...(v.params ?? {}) })),
      });
    }
    if (err instanceof AppError) {
      return reply.status(err.statusCode).send({ error: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) });
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
      return reply.status(500).send({ error: 'internal', message: 'internal error' });
    }
    const status = err.statusCode ?? 500;
    // Fastify's own refusal of a body over the route's limit (API_BODY_LIMIT, WEBHOOK_BODY_LIMIT), before it is read.
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = req.routeOptions.bodyLimit;
      req.log.warn({ method: req.method, route: req.routeOptions.url, contentLength: req.headers['content-length'], limit }, 'request body over the limit refused');
      return reply.status(413).send({ error: 'payload_too_large', message: `the request body is larger than the ${limit} bytes ${req.method} ${req.routeOptions.url ?? req.url} accepts` });
    }
    if (status < 500) {
      return reply.status(status).send({ error: err.code ?? 'bad_request', message: err.message });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(status).send({ error: 'internal', message: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` }));
}
