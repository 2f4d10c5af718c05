package httpapi_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/landrelease/landrelease/adapters/httpapi"
	"github.com/landrelease/landrelease/adapters/jetstream/jetstreamtest"
	"github.com/landrelease/landrelease/domain"
)

// newTokens is a token registry over a real JetStream KV bucket.
func newTokens(t *testing.T) *httpapi.Tokens {
	t.Helper()
	nc := jetstreamtest.MustConnect(t, jetstreamtest.MustEmbedded(t))
	return httpapi.NewTokens(jetstreamtest.MustTokenBucket(t, nc), "KH")
}

// TestTokenNamesUnique: of many creations of one name at once exactly one
// succeeds, the others are a conflict naming the token that holds it;
// names are unique ignoring case and are never reused; revoking a name
// revokes that token and no other.
func TestTokenNamesUnique(t *testing.T) {
	ctx := context.Background()
	tokens := newTokens(t)

	const n = 8
	var wg sync.WaitGroup
	made := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			made[i], _, errs[i] = tokens.Create(ctx, "sokha", "analyst")
		}()
	}
	wg.Wait()
	var winner string
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != "" {
				t.Fatalf("two tokens named sokha were created at once")
			}
			winner = made[i]
		case domain.KindOf(err) != domain.ErrConflict || !strings.Contains(err.Error(), `"sokha"`):
			t.Errorf("creation %d: %v (kind %v), want a conflict naming sokha", i, err, domain.KindOf(err))
		}
	}
	if winner == "" {
		t.Fatal("no creation of sokha succeeded")
	}
	list, err := tokens.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "sokha" {
		t.Fatalf("list after the race: %+v, %v; want sokha alone", list, err)
	}

	if _, _, err := tokens.Create(ctx, "SOKHA", "admin"); domain.KindOf(err) != domain.ErrConflict ||
		!strings.Contains(err.Error(), "role analyst") {
		t.Fatalf("SOKHA: %v; want a conflict naming the analyst token sokha", err)
	}
	dara, _, err := tokens.Create(ctx, "dara", "planner")
	if err != nil {
		t.Fatal(err)
	}

	if _, err := tokens.Revoke(ctx, "Sokha"); domain.KindOf(err) != domain.ErrNotFound {
		t.Fatalf("revoke Sokha (no such name, case differs): %v, want not found", err)
	}
	info, err := tokens.Revoke(ctx, "sokha")
	if err != nil || info.Name != "sokha" || info.RevokedAt == nil {
		t.Fatalf("revoke sokha: %+v, %v", info, err)
	}
	if _, err := tokens.Authenticate(ctx, winner); err == nil {
		t.Fatal("the revoked token still authenticates")
	}
	if p, err := tokens.Authenticate(ctx, dara); err != nil || p.Name != "dara" {
		t.Fatalf("dara after revoking sokha: %v, %v", p, err)
	}
	if _, _, err := tokens.Create(ctx, "sokha", "analyst"); domain.KindOf(err) != domain.ErrConflict ||
		!strings.Contains(err.Error(), "revoked on") {
		t.Fatalf("re-creating revoked sokha: %v; want a conflict saying it was revoked", err)
	}
	list, _ = tokens.List(ctx)
	if len(list) != 2 {
		t.Fatalf("list: %+v; want sokha and dara (no name index entries)", list)
	}
}
