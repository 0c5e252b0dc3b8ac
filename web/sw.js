// Service worker (template: `cargo xtask web` fills in the build id and the
// file list). Precaches the app and the demo; answers same-origin GETs from
// the cache first, so the page works offline after the first visit.
const CACHE = 'taxdistill-/*BUILD*/';
const FILES = [
/*FILES*/
];

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('taxdistill-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener('fetch', (ev) => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== 'GET' || url.origin !== self.location.origin) return;
  ev.respondWith(
    caches.open(CACHE).then((c) =>
      c.match(ev.request, { ignoreSearch: true }).then((hit) => hit || fetch(ev.request))
    )
  );
});
