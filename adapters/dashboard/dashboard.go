package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed static pages
var embedded embed.FS

// Files is the tree of embedded assets (scripts, styles, vendored
// libraries), for tests and for anyone who wants to list what the dashboard
// ships. The pages are in Pages.
func Files() fs.FS {
	sub, err := fs.Sub(embedded, "static")
	if err != nil {
		panic(err) // "static" is a valid path embedded at build time
	}
	return sub
}

// Pages returns the HTML pages by path ("/index.html"), each rendered once
// from pages/layout.html (head, navigation, status bar: one copy for every
// page) and pages/NAME.html (its title, scripts and main content).
func Pages() map[string][]byte { return pages() }

var pages = sync.OnceValue(func() map[string][]byte {
	layout := template.Must(template.ParseFS(embedded, "pages/layout.html"))
	names, err := fs.Glob(embedded, "pages/*.html")
	if err != nil {
		panic(err) // a constant, valid pattern
	}
	out := map[string][]byte{}
	for _, name := range names {
		if name == "pages/layout.html" {
			continue
		}
		// The pages are part of the binary: a page that does not parse or
		// render is a build error, caught by every test that serves one.
		t := template.Must(template.Must(layout.Clone()).ParseFS(embedded, name))
		var b bytes.Buffer
		if err := t.ExecuteTemplate(&b, "layout", nil); err != nil {
			panic(err)
		}
		out["/"+path.Base(name)] = b.Bytes()
	}
	return out
})

// contentSecurityPolicy lets the pages load nothing but their own origin:
// no script, style, font, image or connection elsewhere, even by mistake.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Handler serves the dashboard pages and their assets from the embedded
// files. GET and HEAD only; a path that names no embedded file (every path
// under /api/ among them) gets 404, never a page, so Handler can be mounted
// at / beside the API. Responses carry a strong ETag (the content's SHA-256)
// with Cache-Control: no-cache, so browsers revalidate cheaply after an
// upgrade. Safe for concurrent use.
func Handler() http.Handler {
	files := Files()
	rendered := Pages()
	etags := map[string]string{}
	for p, b := range rendered {
		sum := sha256.Sum256(b)
		etags[p] = `"` + hex.EncodeToString(sum[:16]) + `"`
	}
	_ = fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		etags["/"+p] = `"` + hex.EncodeToString(sum[:16]) + `"`
		return nil
	})
	fileServer := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := path.Clean("/" + r.URL.Path)
		if strings.HasSuffix(name, "/") || name == "/" {
			name = strings.TrimSuffix(name, "/") + "/index.html"
		}
		etag, ok := etags[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("ETag", etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Pages, and scripts too: a worker (the map's) runs under the
		// policy sent with its own script, not its page's.
		if strings.HasSuffix(name, ".html") || strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".mjs") {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
		}
		if page, ok := rendered[name]; ok {
			h.Set("Content-Type", "text/html; charset=utf-8")
			http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(page))
			return
		}
		fileServer.ServeHTTP(w, r)
	})
}
