import { silentLogger, type Logger } from '@weir/core';
import type { SqlStore } from '@weir/store';
import type { FastifyInstance } from 'fastify';
import type { Accounts } from './accounts.js';
import { apiDatabase } from './api-tables.js';
import { apiKeyRoutes } from './api-key-routes.js';
import { auditRoutes } from './audit-routes.js';
import { apiErrorAnswer } from './http-answers.js';
import { roleRoutes } from './role-routes.js';
import { sessionRoutes } from './session-routes.js';
import { strictValidatorCompiler } from './strict-validator.js';
import { userRoutes } from './user-routes.js';

/** Options of {@link accountsApi}. */
export interface AccountsApiOptions {
  accounts: Accounts;
  /** The store the audit log is read from. */
  store: SqlStore;
  /** @default silentLogger */
  log?: Logger | undefined;
}

/**
 * The accounts routes under `/api/v1`: login, logout and `me`; users and passwords; API keys;
 * the permission catalog, roles and role bindings; the audit log. Register after
 * {@link authPlugin}. Encapsulated: its strict schema validation (unknown properties answer 400)
 * and its error answers (`apiErrorAnswer`) apply to these routes only.
 */
export function accountsApi(options: AccountsApiOptions) {
  const { accounts } = options;
  const log = (options.log ?? silentLogger).child({ component: 'accounts-api' });
  return async function accountsRoutes(app: FastifyInstance): Promise<void> {
    app.setValidatorCompiler(strictValidatorCompiler());
    app.setErrorHandler((error, request, reply) => {
      const answer = apiErrorAnswer(error);
      if (answer.status >= 500) log.error({ err: error, route: request.routeOptions.url ?? null }, 'accounts request failed');
      void reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
    sessionRoutes(app, accounts);
    userRoutes(app, accounts);
    apiKeyRoutes(app, accounts);
    roleRoutes(app, accounts);
    auditRoutes(app, apiDatabase(options.store.db));
  };
}
