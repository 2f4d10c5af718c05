package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/landrelease/landrelease/adapters/dashboard/i18n"
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

// Templates is the tree of the page templates (layout.html and one file per
// page), for tests that check every label goes through the catalogue.
func Templates() fs.FS {
	sub, err := fs.Sub(embedded, "pages")
	if err != nil {
		panic(err) // "pages" is a valid path embedded at build time
	}
	return sub
}

// Pages returns the HTML pages in English by path ("/index.html"), each
// rendered once from pages/layout.html (head, navigation, status bar: one
// copy for every page) and pages/NAME.html (its title, scripts and main
// content). PagesIn answers them in another language.
func Pages() map[string][]byte { return PagesIn(i18n.Default) }

// PagesIn returns the HTML pages in lang (one of i18n.Languages; nil for
// another): every label through the template function t, which reads
// i18n's catalogue, and the catalogue's "js." entries in the page (a JSON
// block, id "i18n") for the labels its scripts write.
func PagesIn(lang string) map[string][]byte { return pages()[lang] }

// langLink is an entry of the language switch.
type langLink struct {
	Code, Name string
	Current    bool
}

// Funcs are the template functions of the pages in lang; ParseFS needs
// them before any page is parsed, and tests that parse the pages use them.
func Funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t":    func(key string) string { return i18n.T(lang, key) },
		"lang": func() string { return lang },
		"langs": func() []langLink {
			var out []langLink
			for _, l := range i18n.Languages {
				out = append(out, langLink{Code: l, Name: i18n.T(l, "lang.name"), Current: l == lang})
			}
			return out
		},
		"catalogueJS": func() template.JS {
			b, err := json.Marshal(i18n.JS(lang))
			if err != nil {
				panic(err) // a map of strings always marshals
			}
			// Inside <script type="application/json">: only "</" could end
			// the element early, and JSON may escape the slash.
			return template.JS(strings.ReplaceAll(string(b), "</", `<\/`))
		},
	}
}

var pages = sync.OnceValue(func() map[string]map[string][]byte {
	names, err := fs.Glob(embedded, "pages/*.html")
	if err != nil {
		panic(err) // a constant, valid pattern
	}
	all := map[string]map[string][]byte{}
	for _, lang := range i18n.Languages {
		layout := template.Must(template.New("layout.html").Funcs(Funcs(lang)).ParseFS(embedded, "pages/layout.html"))
		out := map[string][]byte{}
		for _, name := range names {
			if name == "pages/layout.html" {
				continue
			}
			// The pages are part of the binary: a page that does not parse or
			// render is a build error, caught by every test that serves one.
			t := template.Must(template.Must(layout.Clone()).ParseFS(embedded, name))
			p := "/" + path.Base(name)
			link := p
			if p == "/index.html" {
				link = "/"
			}
			var b bytes.Buffer
			if err := t.ExecuteTemplate(&b, "layout", struct{ Path string }{link}); err != nil {
				panic(err)
			}
			out[p] = b.Bytes()
		}
		all[lang] = out
	}
	return all
})

// contentSecurityPolicy lets the pages load nothing but their own origin:
// no script, style, font, image or connection elsewhere, even by mistake.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// LangCookie is the cookie that remembers the language a user chose.
const LangCookie = "landrelease_lang"

// Lang answers the language of a request for a page: ?lang= (en or km),
// else the LangCookie cookie, else the best match of Accept-Language, else
// English; and whether ?lang= chose it (then the choice is to be remembered).
func Lang(r *http.Request) (lang string, chosen bool) {
	if l, ok := i18n.Parse(r.URL.Query().Get("lang")); ok {
		return l, true
	}
	if c, err := r.Cookie(LangCookie); err == nil {
		if l, ok := i18n.Parse(c.Value); ok {
			return l, false
		}
	}
	return i18n.Match(r.Header.Get("Accept-Language")), false
}

// Handler serves the dashboard pages and their assets from the embedded
// files. GET and HEAD only; a path that names no embedded file (every path
// under /api/ among them) gets 404, never a page, so Handler can be mounted
// at / beside the API. Pages are served in the language Lang picks (a
// ?lang= choice is remembered in a cookie for a year), with
// Content-Language and Vary. Responses carry a strong ETag (the content's
// SHA-256) with Cache-Control: no-cache, so browsers revalidate cheaply after
// an upgrade. Safe for concurrent use.
func Handler() http.Handler {
	files := Files()
	etags := map[string]string{}
	rendered := map[string]map[string][]byte{}
	for _, lang := range i18n.Languages {
		rendered[lang] = PagesIn(lang)
		for p, b := range rendered[lang] {
			sum := sha256.Sum256(b)
			etags[lang+p] = `"` + hex.EncodeToString(sum[:16]) + `"`
			etags[p] = ""
		}
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
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Pages, and scripts too: a worker (the map's) runs under the
		// policy sent with its own script, not its page's.
		if strings.HasSuffix(name, ".html") || strings.HasSuffix(name, ".js") || strings.HasSuffix(name, ".mjs") {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
		}
		if _, ok := rendered[i18n.Default][name]; ok {
			lang, chosen := Lang(r)
			if chosen {
				http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
			}
			h.Set("ETag", etags[lang+name])
			h.Set("Vary", "Cookie, Accept-Language")
			h.Set("Content-Language", lang)
			h.Set("Content-Type", "text/html; charset=utf-8")
			http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(rendered[lang][name]))
			return
		}
		h.Set("ETag", etag)
		fileServer.ServeHTTP(w, r)
	})
}
