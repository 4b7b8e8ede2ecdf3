import { createHash } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config/config.js';
import { PayloadDecryptError, payloadCodecFor } from '../../config/payload-codec.js';
import { AppError } from '../errors.js';
import { CODEC_COOKIE } from '../plugins/access.js';

// Temporal's remote codec protocol, for the Temporal UI and `temporal workflow show --codec-endpoint`: POST
// <endpoint>/decode and <endpoint>/encode with `{payloads:[...]}` in proto3 JSON (metadata values and data in
// base64), answered in the same shape. The UI calls from the browser, so its origin gets CORS.

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'base64');
const jsonPayload = z.object({
  metadata: z.record(z.string(), base64).nullish().describe('Metadata values, base64'),
  data: base64.nullish().describe('Payload bytes, base64'),
});
const payloadsBody = z.object({ payloads: z.array(jsonPayload).max(10_000) });
type JsonPayload = z.infer<typeof jsonPayload>;

const errorBody = z.object({ error: z.string(), message: z.string() });

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    ...(p.data != null ? { data: Buffer.from(p.data, 'base64') } : {}),
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')])),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

/** Origins allowed to call the codec endpoint from a browser (CODEC_CORS_ORIGINS, else the dev server's UI). */
export function codecCorsOrigins(config: Pick<Config, 'CODEC_CORS_ORIGINS' | 'TEMPORAL_UI_PORT'>): Set<string> {
  const listed = config.CODEC_CORS_ORIGINS?.split(',')
    .map((o) => o.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  return new Set(listed?.length ? listed : [`http://localhost:${config.TEMPORAL_UI_PORT}`, `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`]);
}

/** How long a browser's codec session lasts: a working day. */
const SESSION_SECONDS = 12 * 3600;

/**
 * The sign-in page's one script: allowed by its hash in the page's Content-Security-Policy
 * (api/plugins/security-headers.ts), taken over exactly the text between <script> and </script>.
 */
const SESSION_SCRIPT = `document.getElementById('f').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await fetch('/codec/session', { method: 'POST', headers: { authorization: 'Bearer ' + document.getElementById('k').value }, credentials: 'same-origin' });
  const body = await res.json().catch(() => ({}));
  document.getElementById('r').textContent = res.ok ? 'Signed in (key ' + body.keyPrefix + '...) until ' + body.expiresAt : 'Refused: ' + (body.message || res.status);
});
`;
/** The CSP source that allows SESSION_SCRIPT and nothing else inline. */
export const SESSION_SCRIPT_CSP_SOURCE = `'sha256-${createHash('sha256').update(SESSION_SCRIPT).digest('base64')}'`;

/** The sign-in page of the codec session: a key is posted as a bearer token, never put in a URL. */
const SESSION_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Orderly codec sign-in</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>Decrypt in the Temporal UI</h1>
<p>Sign in with your Orderly API key (role admin or ops). The Temporal UI can then decode workflow data through
this server's <code>/codec</code> endpoint, with "Include cross-origin credentials" on in its codec settings.</p>
<form id="f"><input id="k" type="password" size="50" placeholder="ork_..." autocomplete="off" required>
<button>Sign in</button></form><p id="r" role="status"></p>
<script>${SESSION_SCRIPT}</script></body></html>`;

/** What the Temporal UI sends: JSON, the namespace, and its user's access token when told to pass it. */
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';

export const codecRoutes: FastifyPluginAsyncZod = async (app) => {
  const { config, logger } = app.services;
  // Resolved at registration: an API without usable keys (production without PAYLOAD_KEYS) does not start.
  const codec = payloadCodecFor(config, logger);
  const origins = codecCorsOrigins(config);

  const cors = (req: FastifyRequest, reply: FastifyReply) => {
    const origin = req.headers.origin;
    reply.header('Vary', 'Origin');
    if (!origin || !origins.has(origin)) return;
    reply.header('Access-Control-Allow-Origin', origin);
    // The UI's "include cross-origin credentials" setting sends cookies.
    reply.header('Access-Control-Allow-Credentials', 'true');
  };
  // Encapsulated in this plugin: only the codec routes answer other origins. On send, so that a refusal
  // (401/403 from the access check, which runs first) also reaches the UI as what it is, not as a CORS error.
  app.addHook('onSend', async (req, reply, payload) => {
    cors(req, reply);
    return payload;
  });

  const preflight = async (_req: FastifyRequest, reply: FastifyReply) => {
    reply.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
    reply.header('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    reply.header('Access-Control-Max-Age', '600');
    return reply.status(204).send();
  };
  app.options('/codec/decode', { schema: { hide: true } }, preflight);
  app.options('/codec/encode', { schema: { hide: true } }, preflight);

  app.post(
    '/codec/decode',
    {
      schema: {
        tags: ['codec'],
        summary: 'Decrypt Temporal payloads (the Temporal UI\'s codec endpoint); unencrypted payloads come back as they are',
        body: payloadsBody,
        response: { 200: payloadsBody, 400: errorBody },
      },
    },
    async (req) => {
      try {
        const decoded = await codec.decode(req.body.payloads.map(fromJson));
        return { payloads: decoded.map(toJson) };
      } catch (e) {
        if (e instanceof PayloadDecryptError) {
          req.log.warn({ keyId: e.keyId, namespace: req.headers['x-namespace'] }, 'codec endpoint: payload not decrypted');
          throw new AppError('bad_request', e.message);
        }
        throw e;
      }
    },
  );

  // A person's browser session for the codec: the Temporal UI cannot send an Authorization header, but with
  // "include cross-origin credentials" it sends this origin's cookies. The key a person signs in with is kept
  // in an HttpOnly cookie for the codec paths only, for a working day; revoking the key ends it at once.
  const cookieFlags = (req: FastifyRequest) => `Path=/codec; HttpOnly; SameSite=Lax${req.protocol === 'https' ? '; Secure' : ''}`;
  app.get('/codec/session', { schema: { hide: true } }, async (_req, reply) => reply.type('text/html; charset=utf-8').send(SESSION_PAGE));
  app.post(
    '/codec/session',
    {
      schema: {
        tags: ['codec'],
        summary: 'Keeps the calling key in an HttpOnly cookie for the codec paths, so the Temporal UI (with "include cross-origin credentials") can decode',
        response: { 200: z.object({ keyPrefix: z.string(), expiresAt: z.string() }) },
      },
    },
    async (req, reply) => {
      const key = /^Bearer[ \t]+(\S+)/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      reply.header('Set-Cookie', `${CODEC_COOKIE}=${key}; Max-Age=${SESSION_SECONDS}; ${cookieFlags(req)}`);
      return { keyPrefix: req.auth?.prefix ?? '', expiresAt: new Date(Date.now() + SESSION_SECONDS * 1000).toISOString() };
    },
  );
  app.delete('/codec/session', { schema: { tags: ['codec'], summary: "Ends the browser's codec session" } }, async (req, reply) => {
    reply.header('Set-Cookie', `${CODEC_COOKIE}=; Max-Age=0; ${cookieFlags(req)}`);
    return reply.status(204).send();
  });

  app.post(
    '/codec/encode',
    {
      schema: {
        tags: ['codec'],
        summary: 'Encrypt payloads with the current payload key (input typed into the Temporal UI: signals, starts)',
        body: payloadsBody,
        response: { 200: payloadsBody, 400: errorBody },
      },
    },
    async (req) => {
      const encoded = await codec.encode(req.body.payloads.map(fromJson));
      return { payloads: encoded.map(toJson) };
    },
  );
};
