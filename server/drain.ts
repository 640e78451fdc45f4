/**
 * Graceful shutdown of the HTTP server, in the order a load balancer needs:
 * 1. readiness answers 503 at once, so the balancer (Kubernetes endpoints, HAProxy) stops sending;
 * 2. for SHUTDOWN_DRAIN_MS the server keeps serving whatever still arrives, and every response
 *    says `Connection: close`, so keep-alive clients finish their request and reconnect elsewhere
 *    instead of reusing a socket that is about to go away;
 * 3. then it stops listening, closes the connections left idle and waits for requests in flight.
 * Closing idle keep-alive sockets while clients still send on them is what resets requests
 * (ECONNRESET); step 2 is what makes step 3 safe.
 */
import type { FastifyInstance } from 'fastify';

interface DrainState {
  draining: boolean;
}

const states = new WeakMap<FastifyInstance, DrainState>();

/** Adds the `Connection: close` hook; called once by buildApp. */
export function installDrain(app: FastifyInstance): void {
  const state: DrainState = { draining: false };
  states.set(app, state);
  app.addHook('onRequest', async (_request, reply) => {
    if (state.draining) reply.header('connection', 'close');
  });
}

export function isDraining(app: FastifyInstance): boolean {
  return states.get(app)?.draining ?? false;
}

/** Steps 1 to 3 above; resolves once the last request in flight has been answered. */
export async function drainAndClose(app: FastifyInstance, drainMs: number): Promise<void> {
  const state = states.get(app);
  if (state) state.draining = true;
  if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
  await app.close();
}
