/**
 * The one way from a storage location to its ObjectStore: the location's own
 * bucket, prefix, endpoint and credentials over the S3_* defaults, or its
 * directory under LOCAL_STORAGE_ROOT.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, quoted } from '../errors.ts';
import { LocalObjectStore, S3ObjectStore, StorageError, type ObjectStore, type StorageSettings } from '../storage/index.ts';
import type { StorageLocation } from './entity.ts';
import { CREDENTIALS_ENV_PREFIX } from './input.ts';

/** Opens the store behind a location (reading its credentials first). */
export type LocationStoreOpener = (location: StorageLocation) => Promise<ObjectStore>;

const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export async function openLocationStore(location: StorageLocation, settings: StorageSettings): Promise<ObjectStore> {
  if (location.kind === 'LOCAL') return new LocalObjectStore(settings.localRoot, location.directory ?? '');
  if (!location.bucket) throw new StorageError('invalid', `storage location ${quoted(location.name)} has no bucket`);
  const credentials = await credentialsOf(location, settings);
  return new S3ObjectStore({
    ...settings.s3,
    endpoint: location.endpoint ?? settings.s3.endpoint,
    region: location.region ?? settings.s3.region,
    pathStyle: location.pathStyle ?? settings.s3.pathStyle,
    ...credentials,
    bucket: location.bucket,
    prefix: location.prefix ?? '',
    retryObserver: settings.retryObserver,
  });
}

interface Credentials {
  accessKey?: string;
  secretKey?: string;
  /** Named when S3 denies access; the values themselves never appear in a message. */
  credentialsSource?: string;
}

async function credentialsOf(location: StorageLocation, settings: StorageSettings): Promise<Credentials> {
  switch (location.credentialsSource) {
    case 'ENVIRONMENT':
      return fromEnvironment(location, settings);
    case 'SECRET':
      return fromSecret(location, settings);
    default:
      return { accessKey: settings.s3.accessKey, secretKey: settings.s3.secretKey };
  }
}

function fromEnvironment(location: StorageLocation, settings: StorageSettings): Credentials {
  const prefix = location.credentialsEnvPrefix ?? '';
  // Checked on input too; checked again here because only S3 variables were ever read.
  if (!CREDENTIALS_ENV_PREFIX.test(prefix)) {
    throw new StorageError('invalid', `storage location ${quoted(location.name)} has credentials prefix ${quoted(prefix)}; it must be S3 or S3_<NAME>`);
  }
  const names = `${prefix}_ACCESS_KEY and ${prefix}_SECRET_KEY`;
  const accessKey = settings.credentialVariables[`${prefix}_ACCESS_KEY`];
  const secretKey = settings.credentialVariables[`${prefix}_SECRET_KEY`];
  if (!accessKey || !secretKey) {
    throw new StorageError('refused', `storage location ${quoted(location.name)} takes its credentials from ${names}, which are not both set in this process's environment`);
  }
  return { accessKey, secretKey, credentialsSource: names };
}

async function fromSecret(location: StorageLocation, settings: StorageSettings): Promise<Credentials> {
  const secret = location.credentialsSecret ?? '';
  if (!SECRET_NAME.test(secret)) {
    throw new StorageError('invalid', `storage location ${quoted(location.name)} has credentials secret ${quoted(secret)}; it must be a secret name`);
  }
  const directory = path.join(settings.secretsDir, secret);
  const read = async (key: string) => {
    const file = path.join(directory, key);
    try {
      const value = (await fs.readFile(file, 'utf8')).trim();
      if (value === '') throw new Error('the file is empty');
      return value;
    } catch (error) {
      throw new StorageError(
        'refused',
        `storage location ${quoted(location.name)} takes its credentials from the secret mounted at ${directory}, but ${file} cannot be read (${errorMessage(error)})`,
        { cause: error },
      );
    }
  };
  return { accessKey: await read('access-key'), secretKey: await read('secret-key'), credentialsSource: `the secret at ${directory}` };
}
