package dashboard

import (
	"encoding/base64"
	"html/template"
	"io/fs"
	"strings"
	"sync"
)

// PrintedFontCSS is the @font-face rules of Noto Sans Khmer (the vendored
// khmer subset, weights 400 and 700) with the fonts inlined as data: URLs,
// for the printed outputs (the work plan, the report): a file saved or sent
// on renders its Khmer without the server and without a Khmer font
// installed. Their Content-Security-Policy must allow font-src data:.
// Families: "Noto Sans Khmer".
func PrintedFontCSS() template.CSS { return printedFontCSS() }

var printedFontCSS = sync.OnceValue(func() template.CSS {
	var b strings.Builder
	for _, weight := range []string{"400", "700"} {
		font, err := fs.ReadFile(Files(), "vendor/noto-sans-khmer/noto-sans-khmer-khmer-"+weight+"-normal.woff2")
		if err != nil {
			panic(err) // embedded at build time
		}
		b.WriteString("@font-face{font-family:'Noto Sans Khmer';font-style:normal;font-weight:" + weight +
			";unicode-range:U+1780-17FF,U+19E0-19FF,U+200C-200D,U+25CC;src:url(data:font/woff2;base64,")
		b.WriteString(base64.StdEncoding.EncodeToString(font))
		b.WriteString(") format('woff2')}\n")
	}
	return template.CSS(b.String())
})
