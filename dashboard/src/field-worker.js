// The field form's service worker (Workbox): the page and every file it needs are kept at install (PRECACHE, made by
// build.mjs with each file's hash, so a new version replaces only what changed) and served from there, signal or not.
// The sign-in settings and the upload limits are asked of the network first and kept for when there is none.
// Everything else (the API, Blob Storage) goes to the network as it is: what is entered waits in IndexedDB, not here.
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';

/* global PRECACHE */
// Any query (the sign-in's answer comes back to the page as one) is the same page.
precacheAndRoute(PRECACHE, { ignoreURLParametersMatching: [/.*/] });
cleanupOutdatedCaches();
registerRoute(({ url, request }) => request.method === 'GET' && url.origin === self.location.origin && /\/api\/(signin|upload\/limits)$/.test(url.pathname),
  new NetworkFirst({ cacheName: 'mineingest-field-settings', networkTimeoutSeconds: 5 }));

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
