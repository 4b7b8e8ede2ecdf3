import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from './config.js';

/** Where Orderly's Temporal is when nothing says otherwise: the dev server `npm start` runs. */
export function temporalAddress(config: Config, override?: string): string {
  return override ?? config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`;
}

/** Connection options for an existing cluster: address, optional mTLS or TLS with an API key (Temporal Cloud). */
/** Options accepted by both the client's Connection and the worker's NativeConnection. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

export function temporalConnectionOptions(config: Config, address = temporalAddress(config)): TemporalConnectionOptions {
  const read = (p: string | undefined) => (p ? fs.readFileSync(p) : undefined);
  const cert = read(config.TEMPORAL_TLS_CERT_PATH);
  const key = read(config.TEMPORAL_TLS_KEY_PATH);
  const ca = read(config.TEMPORAL_TLS_CA_PATH);
  const tlsWanted = config.TEMPORAL_TLS || Boolean(cert) || Boolean(config.TEMPORAL_API_KEY);
  return {
    address,
    ...(tlsWanted
      ? {
          tls: {
            ...(cert && key ? { clientCertPair: { crt: cert, key } } : {}),
            ...(ca ? { serverRootCACertificate: ca } : {}),
          },
        }
      : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}
