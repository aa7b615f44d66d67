{% load static %}// IKM Relief service worker (Workbox from npm, served by Django; see core.pwa.service_worker).
// It keeps the field-check page and its scripts for use without a signal, and sends the
// checks saved on the device when the connection returns (Background Sync).
importScripts(
  "{% static 'vendor/workbox/workbox-core.prod.js' %}",
  "{% static 'vendor/workbox/workbox-routing.prod.js' %}",
  "{% static 'vendor/workbox/workbox-strategies.prod.js' %}",
  "{% static 'vendor/workbox/workbox-precaching.prod.js' %}",
  "{% static 'vendor/idb/umd.js' %}",
  "{% static 'js/outbox.js' %}"
);

workbox.core.setCacheNameDetails({prefix: "ikmrelief"});
workbox.core.skipWaiting();
workbox.core.clientsClaim();

// The app shell: stylesheet, scripts and icons, revisioned by their content.
workbox.precaching.precacheAndRoute({{ precache|safe }});

var FIELD_APP = "{{ field_app_url }}";
var FIELD_CACHE = "ikmrelief-field-app";
var pages = new workbox.strategies.NetworkFirst({cacheName: FIELD_CACHE, networkTimeoutSeconds: 4});

// Kept when the worker installs, so the field check works offline from the very first visit
// (the page that registered the worker was loaded before the worker could keep it).
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(FIELD_CACHE).then(function (cache) {
    return cache.add(new Request(FIELD_APP, {credentials: "same-origin"}));
  }).catch(function () {}));
});

// The field-check page: from the network when there is one, else the copy kept on the device.
workbox.routing.registerRoute(function (options) {
  return options.request.mode === "navigate" && options.url.pathname === FIELD_APP;
}, pages);

// Offline with nothing kept for this exact address (e.g. the page opened from the queue with
// ?selected=…): the field-check page kept under its plain address.
workbox.routing.setCatchHandler(function (options) {
  if (options.request.mode === "navigate") {
    return caches.match(FIELD_APP, {ignoreSearch: true, cacheName: FIELD_CACHE}).then(function (page) { return page || Response.error(); });
  }
  return Response.error();
});

self.addEventListener("sync", function (event) {
  if (event.tag === IKMOutbox.SYNC_TAG) event.waitUntil(IKMOutbox.flush());
});
