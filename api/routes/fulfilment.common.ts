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
