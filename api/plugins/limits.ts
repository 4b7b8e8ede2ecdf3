import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.js';
import { accessRule, CODEC_COOKIE, isPublic } from './access.js';
import { cookieValue } from './auth.js';

// What a caller may send: how large a body (API_BODY_LIMIT, and per route below) and how often (per minute, in
// this process, @fastify/rate-limit's in-memory store). Every refusal is in the API's error shape: 413
// `payload_too_large` (api/errors.ts), 429 `too_many_requests` with Retry-After. All checks run on request,
// before the body is read and before the key is looked up.

const WEBHOOK_ROUTE = '/webhooks/:platform/:shopId';
const CODEC_SESSION_ROUTE = '/codec/session';
/**
 * The codec endpoints carry Temporal payloads (up to 2 MiB each under Temporal's default blob limit), base64,
 * several at a time; only an admin or ops key gets that far (the key is checked before the body is read).
 */
const CODEC_BODY_LIMIT = 16 * 1024 * 1024;
const MINUTE = 60_000;

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;
type Verdict = Exclude<Awaited<ReturnType<Limiter>>, { isAllowed: true }>;

export const limitsPlugin = fp(
  async (app) => {
    const { config } = app.services;

    app.addHook('onRoute', (route) => {
      if (route.bodyLimit !== undefined) return;
      // A platform's batch of messages can be large; refusing it loses nothing the platform will not redeliver,
      // but a push over the limit is refused every time, so its limit is generous (WEBHOOK_BODY_LIMIT).
      if (route.url === WEBHOOK_ROUTE) route.bodyLimit = config.WEBHOOK_BODY_LIMIT;
      else if (route.url === '/codec/decode' || route.url === '/codec/encode') route.bodyLimit = Math.max(config.API_BODY_LIMIT, CODEC_BODY_LIMIT);
    });

    // Only the limiters below, on the routes below: no global limit on the rest of the API (keys are checked
    // on every call; a key's holder is trusted with its rate).
    await app.register(rateLimit, { global: false });
    const limiter = (max: number, keyGenerator: (req: FastifyRequest) => string): Limiter | undefined =>
      max > 0 ? app.createRateLimit({ max, timeWindow: MINUTE, keyGenerator }) : undefined;
    const shopOf = (req: FastifyRequest) => {
      const p = req.params as { platform?: string; shopId?: string };
      return `${p.platform ?? ''}/${p.shopId ?? ''}`;
    };
    const pushes = limiter(config.WEBHOOK_RATE_LIMIT, shopOf);
    const signIns = limiter(config.CODEC_SESSION_RATE_LIMIT, (req) => req.ip);
    const authFailures = limiter(config.AUTH_FAILURE_RATE_LIMIT, (req) => req.ip);

    // A refused sender is logged once per window, not once per request: a flood must not flood the log.
    const logged = new Map<string, number>();
    const logOnce = (req: FastifyRequest, what: string, v: Verdict, fields: Record<string, unknown>) => {
      const now = Date.now();
      const key = `${what}:${v.key}`;
      if ((logged.get(key) ?? 0) > now) return;
      if (logged.size > 1000) logged.clear();
      logged.set(key, now + v.ttl);
      req.log.warn({ ...fields, limit: v.max, retryAfterSeconds: v.ttlInSeconds }, `${what}: refused with 429 until the minute is over`);
    };
    const tooMany = (reply: FastifyReply, v: Verdict, message: string) => {
      const seconds = Math.max(1, v.ttlInSeconds);
      reply.header('retry-after', seconds);
      reply.header('x-ratelimit-limit', v.max);
      reply.header('x-ratelimit-remaining', 0);
      reply.header('x-ratelimit-reset', seconds);
      return new AppError('too_many_requests', `${message}: retry in ${seconds} s`);
    };

    /** A route that takes an API key (public routes, the pushes among them, are never refused for key failures). */
    const takesKey = (req: FastifyRequest) => {
      const rule = accessRule(req.method, req.routeOptions.url ?? '');
      return rule !== undefined && !isPublic(rule, config);
    };
    /** A request that tried a key: a call with no credentials at all guesses nothing. */
    const triedKey = (req: FastifyRequest) => Boolean(req.headers.authorization) || cookieValue(req.headers.cookie, CODEC_COOKIE) !== undefined;

    app.addHook('onRequest', async (req, reply) => {
      if (req.is404) return;
      const route = req.routeOptions.url;
      if (pushes && route === WEBHOOK_ROUTE) {
        const v = await pushes(req);
        if (!v.isAllowed && v.isExceeded) {
          logOnce(req, 'platform pushes over WEBHOOK_RATE_LIMIT', v, { shop: v.key, ip: req.ip });
          throw tooMany(reply, v, `more than ${v.max} pushes a minute for shop ${shopOf(req)} (WEBHOOK_RATE_LIMIT)`);
        }
      }
      if (signIns && route === CODEC_SESSION_ROUTE && (req.method === 'GET' || req.method === 'POST')) {
        const v = await signIns(req);
        if (!v.isAllowed && v.isExceeded) {
          logOnce(req, 'codec sign-in over CODEC_SESSION_RATE_LIMIT', v, { ip: req.ip });
          throw tooMany(reply, v, `more than ${v.max} sign-in requests a minute from this address`);
        }
      }
      // An address that failed AUTH_FAILURE_RATE_LIMIT times this minute tries no more keys until it is over.
      if (authFailures && takesKey(req)) {
        const v = await authFailures(req, { increment: false });
        if (!v.isAllowed && v.remaining === 0) {
          logOnce(req, 'API key failures over AUTH_FAILURE_RATE_LIMIT', v, { ip: req.ip });
          throw tooMany(reply, v, `${v.max} failed API key attempts from this address this minute`);
        }
      }
    });

    // Counted once answered: the key was looked up and refused (unknown, revoked or malformed).
    app.addHook('onResponse', async (req, reply) => {
      if (authFailures && reply.statusCode === 401 && takesKey(req) && triedKey(req)) await authFailures(req);
    });
  },
  { name: 'orderly-limits', dependencies: ['orderly-services'] },
);
