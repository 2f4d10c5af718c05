package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/landrelease/landrelease/domain"
)

// Bucket is a key-value store shared by every replica (a JetStream KV
// bucket in production). Get returns nil, nil for a missing key.
type Bucket interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
	// Create sets key only if it holds no value, atomically, and says
	// whether it did.
	Create(ctx context.Context, key string, value []byte) (bool, error)
	Delete(ctx context.Context, key string) error
	Keys(ctx context.Context) ([]string, error)
}

// Tokens issues, checks and revokes API tokens. A token is shown once, when
// created; the bucket keeps only its SHA-256 (a token is 32 random bytes, so
// a plain hash cannot be searched back), with the name and role. Names are
// unique, ignoring case: beside each token the bucket holds a name key
// (nameKey) made with Create, a compare-and-set, so of two creations of one
// name at once, on any replica, exactly one succeeds. A revoked token stays
// in the bucket, marked, so its name cannot be reused by accident and the
// audit of who held which role survives.
type Tokens struct {
	bucket  Bucket
	country string
	now     func() time.Time
}

// NewTokens returns the token registry over b; roles are checked against
// country's gazetteer (mapu:<province>).
func NewTokens(b Bucket, country string) *Tokens {
	return &Tokens{bucket: b, country: country, now: time.Now}
}

// TokenInfo is what the registry keeps about a token.
type TokenInfo struct {
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// tokenPrefix marks landrelease tokens so that a leaked one is recognisable
// (secret scanners) and a wrong string fails fast.
const tokenPrefix = "lrt_"

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// nameKeyPrefix starts the keys of the name index; a token's own key is its
// hash in hex, which never has it.
const nameKeyPrefix = "name."

// nameKey is the index key of a token name: hex, since a name may hold
// characters a key may not ('@', "..").
func nameKey(name string) string {
	return nameKeyPrefix + hex.EncodeToString([]byte(strings.ToLower(name)))
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Create issues a token for name with role and returns it; it is never
// stored and cannot be shown again.
func (t *Tokens) Create(ctx context.Context, name, role string) (string, TokenInfo, error) {
	if !tokenName.MatchString(name) {
		return "", TokenInfo{}, domain.Errorf(domain.ErrInvalid, "name", "want 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit; got %q", name)
	}
	r, err := domain.ParseRole(role, t.country)
	if err != nil {
		return "", TokenInfo{}, domain.Errorf(domain.ErrInvalid, "role", "%v", err)
	}
	// Tokens made before the name index have no name key: look at them.
	all, err := t.list(ctx)
	if err != nil {
		return "", TokenInfo{}, err
	}
	for _, i := range all {
		if strings.EqualFold(i.Name, name) {
			return "", TokenInfo{}, nameTaken(name, i)
		}
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", TokenInfo{}, err
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:])
	hash := hashToken(token)
	created, err := t.bucket.Create(ctx, nameKey(name), []byte(hash))
	if err != nil {
		return "", TokenInfo{}, fmt.Errorf("store token name: %w", err)
	}
	if !created {
		existing, err := t.byName(ctx, name)
		if err != nil {
			return "", TokenInfo{}, err
		}
		return "", TokenInfo{}, nameTaken(name, existing)
	}
	info := TokenInfo{Name: name, Role: r.String(), CreatedAt: t.now().UTC().Truncate(time.Second)}
	b, _ := json.Marshal(info)
	if err := t.bucket.Put(ctx, hash, b); err != nil {
		// Free the name again, best effort: the token was never shown.
		_ = t.bucket.Delete(context.WithoutCancel(ctx), nameKey(name))
		return "", TokenInfo{}, fmt.Errorf("store token: %w", err)
	}
	return token, info, nil
}

// nameTaken is the conflict of a name that another token holds.
func nameTaken(name string, existing TokenInfo) error {
	state := "active"
	if existing.RevokedAt != nil {
		state = "revoked on " + existing.RevokedAt.Format(time.RFC3339)
	}
	if existing.Name == "" {
		existing.Name, state = name, "being created"
	}
	return domain.Errorf(domain.ErrConflict, "name", "a token named %q exists already (role %s, created %s, %s); token names are unique, ignoring case, and never reused: choose another name",
		existing.Name, orUnknown(existing.Role), existing.CreatedAt.Format(time.RFC3339), state)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// byName returns the token the name index points to for name (its Name is
// empty while its creation is under way).
func (t *Tokens) byName(ctx context.Context, name string) (TokenInfo, error) {
	hash, err := t.bucket.Get(ctx, nameKey(name))
	if err != nil || hash == nil {
		return TokenInfo{}, err
	}
	b, err := t.bucket.Get(ctx, string(hash))
	if err != nil || b == nil {
		return TokenInfo{}, err
	}
	var info TokenInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return TokenInfo{}, fmt.Errorf("token registry: %w", err)
	}
	return info, nil
}

// Authenticate returns the principal of a token, or an ErrUnauthorized API
// error for an unknown, malformed or revoked one.
func (t *Tokens) Authenticate(ctx context.Context, token string) (*domain.Principal, error) {
	unauthorized := &Error{Status: 401, Kind: KindUnauthorized, Message: "unknown or revoked token"}
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 128 {
		unauthorized.Message = "not a landrelease token (want 'Authorization: Bearer lrt_…', made by 'landrelease token create')"
		return nil, unauthorized
	}
	b, err := t.bucket.Get(ctx, hashToken(token))
	if err != nil {
		return nil, fmt.Errorf("token registry: %w", err)
	}
	if b == nil {
		return nil, unauthorized
	}
	var info TokenInfo
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("token registry: %w", err)
	}
	if info.RevokedAt != nil {
		unauthorized.Message = fmt.Sprintf("token %q was revoked on %s", info.Name, info.RevokedAt.Format(time.RFC3339))
		return nil, unauthorized
	}
	r, err := domain.ParseRole(info.Role, t.country)
	if err != nil {
		return nil, fmt.Errorf("token %q: %w", info.Name, err)
	}
	return &domain.Principal{Name: info.Name, Role: r}, nil
}

// Revoke marks the token called name (exactly, case included) revoked; at
// once for every replica, since each request reads the bucket. Names are
// unique, so that is one token; should a registry from before unique names
// hold several of that name, every one of them is revoked.
func (t *Tokens) Revoke(ctx context.Context, name string) (TokenInfo, error) {
	keys, err := t.bucket.Keys(ctx)
	if err != nil {
		return TokenInfo{}, err
	}
	var out TokenInfo
	found := false
	for _, k := range keys {
		if strings.HasPrefix(k, nameKeyPrefix) {
			continue
		}
		b, err := t.bucket.Get(ctx, k)
		if err != nil {
			return TokenInfo{}, fmt.Errorf("token registry: %w", err)
		}
		var info TokenInfo
		if b == nil || json.Unmarshal(b, &info) != nil || info.Name != name {
			continue
		}
		if info.RevokedAt == nil {
			now := t.now().UTC().Truncate(time.Second)
			info.RevokedAt = &now
			b, _ = json.Marshal(info)
			if err := t.bucket.Put(ctx, k, b); err != nil {
				return TokenInfo{}, fmt.Errorf("revoke token %q: %w", name, err)
			}
		}
		if !found || info.CreatedAt.After(out.CreatedAt) {
			out = info
		}
		found = true
	}
	if !found {
		return TokenInfo{}, domain.Errorf(domain.ErrNotFound, "name", "no token named %q", name)
	}
	return out, nil
}

// List returns every token's name, role and dates, by name.
func (t *Tokens) List(ctx context.Context) ([]TokenInfo, error) {
	all, err := t.list(ctx)
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all, err
}

func (t *Tokens) list(ctx context.Context) ([]TokenInfo, error) {
	keys, err := t.bucket.Keys(ctx)
	if err != nil {
		return nil, err
	}
	out := []TokenInfo{}
	for _, k := range keys {
		if strings.HasPrefix(k, nameKeyPrefix) {
			continue
		}
		b, err := t.bucket.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		var info TokenInfo
		if b != nil && json.Unmarshal(b, &info) == nil {
			out = append(out, info)
		}
	}
	return out, nil
}
