import fs from 'node:fs';
import { ConfigError, type Config } from './config.js';

/** A PEM file a config key names, read once at start-up; a path that cannot be read stops start-up naming the key. */
export function readConfiguredFile(key: string, file: string | undefined): Buffer | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new ConfigError(`${key}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** The API's certificate and key (Node's https server options), or undefined: plain http. */
export interface ApiTls {
  cert: Buffer;
  key: Buffer;
}

type TlsKeys = Pick<Config, 'API_TLS_CERT_PATH' | 'API_TLS_KEY_PATH'>;

/** Reads API_TLS_CERT_PATH and API_TLS_KEY_PATH; one without the other stops start-up rather than serving http. */
export function apiTlsOptions(config: TlsKeys): ApiTls | undefined {
  if (Boolean(config.API_TLS_CERT_PATH) !== Boolean(config.API_TLS_KEY_PATH)) {
    throw new ConfigError(`API_TLS_CERT_PATH and API_TLS_KEY_PATH go together: ${config.API_TLS_CERT_PATH ? 'API_TLS_KEY_PATH' : 'API_TLS_CERT_PATH'} is not set`);
  }
  const cert = readConfiguredFile('API_TLS_CERT_PATH', config.API_TLS_CERT_PATH);
  const key = readConfiguredFile('API_TLS_KEY_PATH', config.API_TLS_KEY_PATH);
  return cert && key ? { cert, key } : undefined;
}

/** The scheme the API is reached by directly (a proxy in front may add TLS of its own). */
export function apiScheme(config: TlsKeys): 'https' | 'http' {
  return config.API_TLS_CERT_PATH ? 'https' : 'http';
}
