// Package dashboard serves the web dashboard of landrelease: plain HTML,
// CSS and JavaScript pages, every asset embedded in the binary (no CDN, no
// internet), which read the HTTP API of adapters/httpapi from the browser
// with the user's bearer token. Pages: the national overview with the
// burn-down against the Article 5 deadline, a province with its MAPU work
// plan, an area with its history and evidence, the audit trail, the scenario
// comparison and a map of area polygons drawn as SVG without map tiles.
//
// Handler serves only the files under static/ and answers 404 for anything
// else, /api/ included, so mounting it at / never shadows the API. Charts use
// Chart.js, vendored under static/vendor (README.md says which version and
// how to update it).
//
// Pages are in English and Khmer (PagesIn, Lang), their labels from the
// catalogues of the i18n subpackage (one JSON file per language), which also
// serve the printed outputs of cmd/landrelease. Apart from i18n (and through
// it golang.org/x/text) it imports only the standard library: no other
// adapter, no part of the engine. The data reaches the pages through the API
// alone.
package dashboard
