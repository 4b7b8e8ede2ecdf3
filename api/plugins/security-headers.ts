import helmet from '@fastify/helmet';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import fp from 'fastify-plugin';
import { SESSION_SCRIPT_CSP_SOURCE } from '../routes/codec.js';

// Security headers on every answer (@fastify/helmet): no MIME sniffing, no framing, no referrer, a
// Content-Security-Policy per kind of answer, and HSTS whenever the request came over https. The API answers
// JSON, which renders nothing, so its policy allows nothing; the two HTML pages the API serves get what they need.

type Directives = Record<string, string[]>;

/** JSON and text answers: nothing may load, run, frame them or be submitted from them. */
const API_CSP: Directives = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/**
 * `/docs` (Swagger UI): its scripts, styles, fonts and images from this origin (no inline script: its
 * initializer is a file of its own), the style attributes it sets, data: icons, and the document and
 * "Try it out" calls to this origin.
 */
const DOCS_CSP: Directives = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** The codec sign-in page (`GET /codec/session`): its one inline script by hash, its style attribute, its POST. */
const CODEC_SESSION_CSP: Directives = {
  defaultSrc: ["'none'"],
  scriptSrc: [SESSION_SCRIPT_CSP_SOURCE],
  styleSrc: ["'unsafe-inline'"],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const csp = (directives: Directives): FastifyHelmetOptions['contentSecurityPolicy'] => ({ useDefaults: false, directives });

/** A year; not includeSubDomains: other hosts of the domain are not Orderly's to decide for. */
const HSTS = 'max-age=31536000';

export const securityHeadersPlugin = fp(
  async (app) => {
    // Which policy a route gets, by its path pattern. Added before helmet's own onRoute hook, which then
    // takes the route's `helmet` options into its config.
    app.addHook('onRoute', (route) => {
      if (route.helmet !== undefined) return;
      const url = route.url;
      const directives = url === '/docs' || url.startsWith('/docs/') ? DOCS_CSP : url === '/codec/session' && [route.method].flat().includes('GET') ? CODEC_SESSION_CSP : undefined;
      if (directives) route.helmet = { contentSecurityPolicy: csp(directives) };
    });

    await app.register(helmet, {
      global: true,
      contentSecurityPolicy: csp(API_CSP),
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      // Sent below, only over https: a browser ignores it on http, and a proxy in front may end TLS itself.
      strictTransportSecurity: false,
    });

    // req.protocol is https for the API's own TLS, or behind a trusted proxy that says so (TRUST_PROXY).
    app.addHook('onRequest', async (req, reply) => {
      if (req.protocol === 'https') reply.header('strict-transport-security', HSTS);
    });
  },
  { name: 'orderly-security-headers' },
);
