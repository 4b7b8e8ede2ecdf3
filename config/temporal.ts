import type { TLSConfig } from '@temporalio/client';
import { ConfigError, type Config } from './config.js';
import { readConfiguredFile } from './tls.js';

/** Where Orderly's Temporal is when nothing says otherwise: the dev server `npm start` runs. */
export function temporalAddress(config: Config, override?: string): string {
  return override ?? config.TEMPORAL_ADDRESS ?? `127.0.0.1:${config.TEMPORAL_DEV_PORT}`;
}

/** Options accepted by both the client's Connection and the worker's NativeConnection. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
}

/**
 * Connection options for an existing cluster: its address, and TLS when asked for (TEMPORAL_TLS), implied by a
 * client certificate (mTLS) or by an API key (Temporal Cloud). TEMPORAL_TLS_CA_PATH is the root the server's
 * certificate is checked against (the system's roots otherwise), TEMPORAL_TLS_SERVER_NAME the name it must carry.
 */
export function temporalConnectionOptions(config: Config, address = temporalAddress(config)): TemporalConnectionOptions {
  const cert = readConfiguredFile('TEMPORAL_TLS_CERT_PATH', config.TEMPORAL_TLS_CERT_PATH);
  const key = readConfiguredFile('TEMPORAL_TLS_KEY_PATH', config.TEMPORAL_TLS_KEY_PATH);
  // One without the other would connect without the client certificate and fail far from the cause.
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError(`TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together: ${cert ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH'} is not set`);
  }
  const ca = readConfiguredFile('TEMPORAL_TLS_CA_PATH', config.TEMPORAL_TLS_CA_PATH);
  const tlsWanted = config.TEMPORAL_TLS || Boolean(cert) || Boolean(ca) || Boolean(config.TEMPORAL_TLS_SERVER_NAME) || Boolean(config.TEMPORAL_API_KEY);
  return {
    address,
    ...(tlsWanted
      ? {
          tls: {
            ...(cert && key ? { clientCertPair: { crt: cert, key } } : {}),
            ...(ca ? { serverRootCACertificate: ca } : {}),
            ...(config.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME } : {}),
          },
        }
      : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}
