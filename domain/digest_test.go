package domain_test

import (
	"testing"

	"github.com/landrelease/landrelease/domain"
)

// The digest is that of the decoded command: spacing and key order do not
// change it, any value or the command's name does.
func TestCommandDigest(t *testing.T) {
	decode := func(line string) domain.Command {
		t.Helper()
		env, err := domain.DecodeCommand([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		return env.Command
	}
	area := "0190a3c2-7b1e-7c3d-8e4f-5a6b7c8d9e0f"
	a := decode(`{"command":"CancelArea","data":{"area_id":"` + area + `","on":"2024-02-01","method":"NTS","reason":"x","size_m2":1000}}`)
	b := decode(`{"data":{ "size_m2":1000, "reason":"x","method":"NTS","on":"2024-02-01","area_id":"` + area + `"},"command":"CancelArea"}`)
	c := decode(`{"command":"CancelArea","data":{"area_id":"` + area + `","on":"2024-02-01","method":"NTS","reason":"x","size_m2":1001}}`)
	d := decode(`{"command":"ReduceArea","data":{"area_id":"` + area + `","on":"2024-02-01","size_m2":1000,"operator":"HALO"}}`)
	if domain.CommandDigest(a) != domain.CommandDigest(b) {
		t.Fatal("the same command spelled differently has another digest")
	}
	if domain.CommandDigest(a) == domain.CommandDigest(c) || domain.CommandDigest(a) == domain.CommandDigest(d) {
		t.Fatal("another payload or another command has the same digest")
	}
	if len(domain.CommandDigest(a)) != 32 {
		t.Fatalf("digest %q: want 32 hex digits", domain.CommandDigest(a))
	}
}
