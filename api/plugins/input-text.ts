import fp from 'fastify-plugin';
import { findUnstorable } from '../../domain/text.js';
import { AppError } from '../errors.js';

// Text PostgreSQL cannot store (NUL, unpaired surrogates: domain/text.ts) is refused where it comes in, whatever
// the route: a path parameter, the query, a JSON body, keys included. Answered 400 like any other invalid input,
// before the shop look-ups of the auth plugin and before validation, so no route or repository meets it. A
// platform push is the exception: its body is a string kept as sent (sealed whole), and the channel parsers
// refuse or clean what they take out of it.

export const inputTextPlugin = fp(
  async (app) => {
    app.addHook('preValidation', async (req) => {
      const parts: ReadonlyArray<readonly [string, unknown]> = [
        ['path', req.params],
        ['query', req.query],
        ['body', typeof req.body === 'string' ? undefined : req.body],
      ];
      for (const [where, value] of parts) {
        const bad = findUnstorable(value);
        if (bad) {
          const path = bad.path || '/';
          throw new AppError('bad_request', `invalid ${where}: ${path} holds ${bad.reason}`, { issues: [{ path, message: `holds ${bad.reason}` }] });
        }
      }
    });
  },
  { name: 'orderly-input-text' },
);
