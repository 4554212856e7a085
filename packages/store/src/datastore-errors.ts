import { ConfigError, OperationalError, UserError, type WeirErrorOptions } from '@weir/core';

/**
 * Errors of the datastore. A key or a value that cannot be stored is the caller's to fix; a
 * secret that cannot be written or read for want of the right encryption key is a configuration
 * matter (the operator's); neither message ever holds a value.
 */

/** A datastore key that is not `<pack>.<name>`: names the field and the rule. */
export class DatastoreKeyInvalidError extends UserError {
  override name = 'DatastoreKeyInvalidError';
  readonly field: string;
  readonly key: string;
  constructor(field: string, key: string, reason: string, options: WeirErrorOptions = {}) {
    super('DATASTORE_KEY_INVALID', `${field}: ${JSON.stringify(key)} ${reason}`, options);
    this.field = field;
    this.key = key;
  }
}

/** A value the datastore does not take (too large, a bad TTL): names the field. */
export class DatastoreValueInvalidError extends UserError {
  override name = 'DatastoreValueInvalidError';
  readonly field: string;
  constructor(field: string, reason: string, options: WeirErrorOptions = {}) {
    super('DATASTORE_VALUE_INVALID', `${field}: ${reason}`, options);
    this.field = field;
  }
}

/**
 * A secret was to be written or read but no encryption key is configured (`WEIR_DATASTORE_KEY`).
 * The request is fine; the server is not set up for it (HTTP 409).
 */
export class DatastoreEncryptionUnconfiguredError extends UserError {
  override name = 'DatastoreEncryptionUnconfiguredError';
  readonly key: string;
  constructor(key: string, options: WeirErrorOptions = {}) {
    super(
      'DATASTORE_ENCRYPTION_UNCONFIGURED',
      `${key} is a secret and this server has no datastore encryption key: set WEIR_DATASTORE_KEY (32 random bytes, base64, e.g. \`openssl rand -base64 32\`)`,
      options,
    );
    this.key = key;
  }
}

/**
 * A stored secret does not decrypt with the configured key: it was written under another key
 * (`kid` names which) or the row was altered. Nothing is retried; the operator must restore the key.
 */
export class DatastoreDecryptError extends OperationalError {
  override name = 'DatastoreDecryptError';
  readonly key: string;
  constructor(key: string, reason: string, options: WeirErrorOptions = {}) {
    super('DATASTORE_DECRYPT_FAILED', `secret ${key} cannot be decrypted: ${reason}`, options);
    this.key = key;
  }
}

/** The configured encryption key is not 32 bytes of base64 (stops start-up). */
export class DatastoreKeyConfigError extends ConfigError {
  override name = 'DatastoreKeyConfigError';
}
