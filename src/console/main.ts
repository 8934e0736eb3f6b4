/**
 * The web console's entry module (served at /console/console/main.js; see src/server/routes/console.ts).
 * It asks who the session is before the rest of the app has loaded (the page preloads every
 * module, so the two overlap), then hands the answer to the app.
 */
import { Api } from './api.js';
import type { Whoami } from './api-types.js';

const api = new Api();
const who = api.get<Whoami>('/v1/whoami');
// Settled here too, so that a failure is the app's to show and never an unhandled rejection.
who.catch(() => undefined);
const [{ App }, { applyStyles }] = await Promise.all([import('./app.js'), import('./style.js')]);
applyStyles(document);
await new App(document.body, api).start(who);
