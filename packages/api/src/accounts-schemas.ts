/**
 * JSON Schemas of the accounts routes' bodies, params and queries. Every object schema refuses
 * unknown properties (`additionalProperties: false`); the routes validate with an ajv that does
 * not silently strip them (see `strictValidatorCompiler`).
 */
import { NAME_PATTERN, SCOPE_NAME_PATTERN } from './account-names.js';
import { MAX_PASSWORD_LENGTH } from './password-hashing.js';

const name = { type: 'string', pattern: NAME_PATTERN } as const;
const password = { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH } as const;
const scopeList = { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', pattern: SCOPE_NAME_PATTERN } } as const;
const permissionList = { type: 'array', minItems: 1, maxItems: 256, items: { type: 'string', minLength: 3, maxLength: 64 } } as const;
const keyId = { type: 'string', pattern: '^[0-9a-f]{16}$' } as const;
const bindingId = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[0-9a-f-]+$' } as const;

export const loginBody = {
  type: 'object',
  additionalProperties: false,
  required: ['user', 'password'],
  properties: { user: { type: 'string', minLength: 1, maxLength: 63 }, password },
} as const;

export const nameParams = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 63 } },
} as const;

export const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

export const createUserBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name,
    email: { type: ['string', 'null'], maxLength: 254 },
    display_name: { type: 'string', maxLength: 200 },
    password,
    disabled: { type: 'boolean' },
  },
} as const;

export const updateUserBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    email: { type: ['string', 'null'], maxLength: 254 },
    display_name: { type: 'string', maxLength: 200 },
    disabled: { type: 'boolean' },
  },
} as const;

export const passwordBody = {
  type: 'object',
  additionalProperties: false,
  required: ['password'],
  properties: { password, current_password: password },
} as const;

export const listKeysQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    user: name,
    all: { type: 'boolean' },
    include_revoked: { type: 'boolean' },
  },
} as const;

export const createKeyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    user: name,
    /** Milliseconds since the epoch. */
    expires_at: { type: 'integer', minimum: 0 },
    /** A duration from now: `90d`, `12h`. */
    expires_in: { type: 'string', minLength: 2, maxLength: 32 },
  },
} as const;

export const keyIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: keyId },
} as const;

export const roleBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'permissions'],
  properties: { name, description: { type: 'string', maxLength: 500 }, permissions: permissionList },
} as const;

export const roleUpdateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['permissions'],
  properties: { description: { type: 'string', maxLength: 500 }, permissions: permissionList },
} as const;

export const bindingBody = {
  type: 'object',
  additionalProperties: false,
  required: ['role'],
  properties: { role: name, user: name, api_key: keyId, packs: scopeList, sites: scopeList },
} as const;

export const bindingIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: bindingId },
} as const;

export const bindingsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { user: name, role: name, api_key: keyId },
} as const;

export const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    actor: { type: 'string', minLength: 1, maxLength: 200 },
    action: { type: 'string', minLength: 1, maxLength: 200 },
    resource: { type: 'string', minLength: 1, maxLength: 500 },
    result: { enum: ['ok', 'refused', 'error'] },
    /** Milliseconds since the epoch or an ISO 8601 date-time; inclusive. */
    since: { type: 'string', minLength: 1, maxLength: 40 },
    /** Exclusive. */
    until: { type: 'string', minLength: 1, maxLength: 40 },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    /** The `next` cursor of the previous page. */
    after: { type: 'string', minLength: 3, maxLength: 100 },
    order: { enum: ['asc', 'desc'] },
    format: { enum: ['json', 'jsonl'] },
  },
} as const;
