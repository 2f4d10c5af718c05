package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var static embed.FS

// Files is the tree of embedded assets (index.html at its root), for tests
// and for anyone who wants to list what the dashboard ships.
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // "static" is a valid path embedded at build time
	}
	return sub
}

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
	etags := map[string]string{}
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
		if strings.HasSuffix(name, ".html") {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
		}
		fileServer.ServeHTTP(w, r)
	})
}
