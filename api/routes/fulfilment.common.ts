import { z } from 'zod';

// Schemas shared by the routes: the error body and timestamps for all, merchant codes for the fulfilment
// resources (warehouses, SKUs, inventory, carriers, packages, decisions).

export const errorBody = z.object({ error: z.string(), message: z.string() }).passthrough();

/** Merchant codes for warehouses, SKUs and carriers: short, URL-safe. */
export const code = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.-]+$/, 'codes may contain letters, digits, "_", "-" and "."');

/** A six-digit administrative region code (province, city or district). */
export const regionCode = z.string().regex(/^\d{6}$/, 'a six-digit region code, e.g. 110105');

export const codeParams = z.object({ code });

export const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * The schema with every object in it strict (an unknown field is refused, not dropped), its checks kept: for a
 * request body built from a domain schema that stays lenient where Orderly reads its own stored data.
 */
export function strictDeep<T extends z.ZodType>(schema: T): T {
  // zod's definitions are its documented means of walking a schema; `clone` keeps each node's checks.
  const node = schema as unknown as z.ZodType;
  const def = node._zod.def as unknown as Record<string, unknown> & { type: string };
  const walk = (s: unknown) => strictDeep(s as z.ZodType);
  switch (def.type) {
    case 'object': {
      const shape = Object.fromEntries(Object.entries(def.shape as Record<string, z.ZodType>).map(([k, v]) => [k, walk(v)]));
      return node.clone({ ...def, shape, catchall: z.never() } as typeof node._zod.def) as unknown as T;
    }
    case 'array':
      return node.clone({ ...def, element: walk(def.element) } as typeof node._zod.def) as unknown as T;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      return node.clone({ ...def, innerType: walk(def.innerType) } as typeof node._zod.def) as unknown as T;
    case 'union':
      return node.clone({ ...def, options: (def.options as z.ZodType[]).map(walk) } as typeof node._zod.def) as unknown as T;
    default:
      return schema;
  }
}
