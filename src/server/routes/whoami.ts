import type { FastifyInstance } from 'fastify';
import type { AuthFile } from '../auth.js';

/**
 * `GET /v1/whoami`: the caller's principal and grants, so a client (the web console) can leave out
 * requests it knows the server would refuse. Without --auth-file everyone may do everything, and the
 * reply says that authentication is off.
 */
export function whoamiRoutes(app: FastifyInstance, auth: AuthFile | undefined): void {
  app.get('/v1/whoami', async (req) => {
    const p = req.principal;
    if (!auth || !p) return { authentication: false, principal: null, super: false, grants: [] };
    return { authentication: true, principal: p.name, super: p.super, grants: p.grants };
  });
}
