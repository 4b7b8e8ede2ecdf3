import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getSettingVersion, type Setting } from '../../db/settings.repository.js';
import type { Db } from '../../db/database.js';
import { AppError } from '../errors.js';
import { errorBody } from './fulfilment.common.js';

const versionParams = z.object({ version: z.coerce.number().int().min(1).max(2_147_483_647).describe('A version the setting had') });

/**
 * `GET <path>/versions/:version`: one stored version of a versioned setting, as it was written (404 with a
 * reason for a version never stored), shown through `view` like the setting in force.
 */
export function settingVersionRoute(
  app: FastifyInstance,
  db: Db,
  o: { path: string; key: string; what: string; tags: string[]; description: string; out: z.ZodType; view: (stored: Setting<unknown>) => unknown },
): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    `${o.path}/versions/:version`,
    {
      schema: {
        tags: o.tags,
        summary: `One version of the ${o.what}, as it was written`,
        description: o.description,
        params: versionParams,
        response: { 200: o.out, 404: errorBody },
      },
    },
    async (req) => {
      const stored = await getSettingVersion<unknown>(db, o.key, req.params.version);
      if (!stored) throw new AppError('not_found', `the ${o.what} has no stored version ${req.params.version}`);
      return o.view(stored);
    },
  );
}
