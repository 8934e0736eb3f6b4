import type { FastifyInstance } from 'fastify';
import { LakestreamError } from '../../common/errors.js';
import { authenticate, type AuthFile } from '../auth.js';

/**
 * `GET /v1/whoami`, an open route: the principal of the presented token and its grants, so a client
 * (the web console) can leave out requests it knows the server would refuse. No token, or one the
 * auth file does not hold, is principal null rather than a 401, so that asking is never a refused
 * request. Without --auth-file everyone may do everything, and the reply says authentication is off.
 */
export function whoamiRoutes(app: FastifyInstance, auth: AuthFile | undefined): void {
  app.get('/v1/whoami', async (req) => {
    if (!auth) return { authentication: false, principal: null, super: false, grants: [] };
    let principal;
    try {
      principal = authenticate(auth.policy, req.headers.authorization);
    } catch (err) {
      if (!(err instanceof LakestreamError)) throw err;
      return { authentication: true, principal: null, super: false, grants: [] };
    }
    return { authentication: true, principal: principal.name, super: principal.super, grants: principal.grants };
  });
}
