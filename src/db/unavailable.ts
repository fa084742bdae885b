/**
 * Telling "the database cannot be reached" from every other failure: the API
 * answers the first with 503 SERVICE_UNAVAILABLE (try again later) rather than
 * as a bug of ours, and its log lines are collapsed while the outage lasts.
 */
import { ConnectionException, DriverException } from '@mikro-orm/core';
import { isIP } from 'node:net';
import pg from 'pg';

/** Network failures of the driver's socket. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * Postgres' own codes for a server that is going away or not yet there:
 * admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections,
 * and class 08 (connection exception).
 */
const SERVER_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const CONNECTION_EXCEPTION_CLASS = /^08[0-9A-Z]{3}$/;

/** What pg says when its socket ends or its pool cannot connect in time; these errors carry no code. */
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Cannot use a pool after calling end on the pool/,
  /^Client was closed and is not queryable/,
];

const MAX_DEPTH = 5;

/** Where the database listens, to recognise a socket error of a connection to it. */
export interface DatabaseEndpoint {
  host: string;
  port: number;
}

export function databaseEndpoint(url: string): DatabaseEndpoint {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 5432) };
}

/**
 * True when `error`, or an error it wraps, says the database is unreachable or going away.
 * A bare socket error (a transaction's connection is acquired without MikroORM wrapping its
 * failure) counts only when it names the database's port (and address, or host for DNS):
 * a Kubernetes API or S3 endpoint that refuses is not a database outage.
 */
export function isDatabaseUnavailable(error: unknown, database?: DatabaseEndpoint, depth = 0): boolean {
  if (!(error instanceof Error) || depth > MAX_DEPTH) return false;
  if (error instanceof ConnectionException) return true;
  const code = (error as { code?: unknown }).code;
  const fromDriver = error instanceof DriverException || error instanceof pg.DatabaseError;
  if (typeof code === 'string') {
    if (SERVER_CODES.has(code) || CONNECTION_EXCEPTION_CLASS.test(code)) return fromDriver || 'severity' in error;
    if (NETWORK_CODES.has(code) && (fromDriver || (database && socketOf(error, database)))) return true;
  }
  if (DRIVER_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  return isDatabaseUnavailable(error.cause, database, depth + 1);
}

function socketOf(error: Error, database: DatabaseEndpoint): boolean {
  const { address, port, hostname } = error as { address?: unknown; port?: unknown; hostname?: unknown };
  if (hostname === database.host) return true;
  // `localhost` resolves to an address the URL does not name: the port decides then.
  return port === database.port && (address === database.host || isIP(database.host) === 0);
}
