package events_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/landrelease/landrelease/events"
)

// Every event type of the catalogue is stored under a known aggregate kind:
// a reader checks the subject's kind against it.
func TestEveryTypeHasAKind(t *testing.T) {
	for _, typ := range events.NewRegistry().Types() {
		k, ok := events.KindOf(typ)
		if !ok || !k.Known() {
			t.Errorf("%s: kind %q, %v", typ, k, ok)
		}
	}
	if _, ok := events.KindOf("AreaTeleported"); ok {
		t.Error("an unknown type has a kind")
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("é", events.MaxQuarantineText)
	for _, s := range []string{"", "plain", "bad \xff byte", "esc \x1b[31m red", long} {
		c := events.Clip(s)
		if len(c) > events.MaxQuarantineText || !utf8.ValidString(c) || strings.ContainsRune(c, '\x1b') {
			t.Errorf("Clip(%.20q) = %.40q: too long, invalid or with a control character", s, c)
		}
	}
	if events.Clip("plain") != "plain" {
		t.Error("Clip changed a short printable text")
	}
}
