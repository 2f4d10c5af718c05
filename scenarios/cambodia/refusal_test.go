package cambodia

import "testing"

// The generator decides every command it emits; a refused one is dropped.
// The shipped spec leads it into none.
func TestGeneratorIsRefusedNothing(t *testing.T) {
	s, err := DefaultSpec()
	if err != nil {
		t.Fatal(err)
	}
	out, refused, err := generate(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d commands emitted, %d refused", len(out), len(refused))
	for i, r := range refused {
		if i == 10 {
			break
		}
		t.Error(r)
	}
}
