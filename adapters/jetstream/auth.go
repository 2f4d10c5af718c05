package jetstream

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// The two NATS identities of a landrelease deployment. The embedded server
// creates them in its data dir (EnsureCredentials); a cluster declares them
// in its configuration (deploy/nats/cluster.conf) with the same permissions.
const (
	// EngineUser is the engines' identity: the only one that may publish
	// events (lr.>), write the token bucket and run the command work queue.
	EngineUser = "engine"
	// ReaderUser is the read-only identity for outside readers (the nats
	// CLI, analysts' scripts): it can replay and fetch the history and
	// nothing else.
	ReaderUser = "reader"
	// EngineInboxPrefix is the inbox prefix of the engine's connections
	// (DialOptions, Embedded.Connect). Readers may subscribe to _INBOX.>, so
	// the engine's replies (token lookups, command replies) go elsewhere.
	EngineInboxPrefix = "_LR_ENGINE_INBOX"
)

// Identity is a NATS user and its password.
type Identity struct {
	User     string
	Password string
}

// Credentials are the identities the embedded server accepts.
type Credentials struct {
	Engine Identity
	Reader Identity
}

// CredentialsDir is where the embedded server of dataDir keeps its
// credentials: one file per identity, <user>.password, mode 0600, in a
// directory of mode 0700.
func CredentialsDir(dataDir string) string { return filepath.Join(dataDir, "nats") }

// PasswordFile is the file holding the password of user in dataDir.
func PasswordFile(dataDir, user string) string {
	return filepath.Join(CredentialsDir(dataDir), user+".password")
}

// EnsureCredentials reads the engine's and the reader's passwords from
// dataDir, creating each one that is missing (256 random bits, hex). A
// password file is created whole or not at all, and never replaced: when two
// processes create one at once, both end up with the one that landed first.
// It tightens the directory to 0700 and the files to 0600 (a copied data
// dir may have lost the modes). Deleting a file and starting again rotates
// that password (docs/security.md).
func EnsureCredentials(dataDir string) (Credentials, error) {
	dir := CredentialsDir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Credentials{}, fmt.Errorf("nats credentials: %w", err)
	}
	if err := tighten(dir, 0o700); err != nil {
		return Credentials{}, fmt.Errorf("nats credentials: %w", err)
	}
	var c Credentials
	var err error
	if c.Engine.Password, err = ensurePassword(PasswordFile(dataDir, EngineUser)); err != nil {
		return Credentials{}, err
	}
	if c.Reader.Password, err = ensurePassword(PasswordFile(dataDir, ReaderUser)); err != nil {
		return Credentials{}, err
	}
	c.Engine.User, c.Reader.User = EngineUser, ReaderUser
	return c, nil
}

// ensurePassword returns the password in path, creating the file first when
// it does not exist.
func ensurePassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err = createPassword(path); err == nil {
			b, err = os.ReadFile(path)
		}
	}
	if err != nil {
		return "", fmt.Errorf("nats credentials: %w", err)
	}
	if err := tighten(path, 0o600); err != nil {
		return "", fmt.Errorf("nats credentials: %w", err)
	}
	pw := strings.TrimSpace(string(b))
	if len(pw) < 16 {
		return "", fmt.Errorf("nats credentials: %s: the password must be at least 16 characters; delete the file to have a new one created", path)
	}
	return pw, nil
}

// tighten sets path's permission bits to perm unless they are already.
func tighten(path string, perm fs.FileMode) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm() == perm {
		return nil
	}
	return os.Chmod(path, perm)
}

// createPassword writes a new random password to a temporary file, syncs it
// and links it to path, which fails harmlessly if another process got there
// first.
func createPassword(path string) error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".password-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(hex.EncodeToString(secret) + "\n")
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(f.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// EnginePermissions are what an engine may do: publish events, commands and
// replies, use the whole JetStream API (its streams, consumers, the token
// bucket), and receive on its inboxes and the reply subjects.
func EnginePermissions() *server.Permissions {
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"lr.>",                       // events (StreamName)
			"lrcmd.>",                    // the command work queue (adapters/bus)
			"lrreply.>",                  // replies to commands
			"$JS.API.>",                  // streams, consumers, direct gets, key-value
			"$JS.*.API.>",                // another JetStream domain's (provincial offices, leaf.go)
			OutboxPrefix + ".>",          // a provincial office's outbox
			OutcomePrefix + ".>",         // the national decisions on provincial commands
			"$KV." + TokensBucket + ".>", // the token bucket's writes
			"$JS.ACK.>",                  // acknowledgements (the work queue)
			"$JS.FC.>",                   // flow control (key-value watchers)
			"$JS.SNAPSHOT.>",             // stream snapshot acknowledgements and restore chunks (backup, restore)
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{
			EngineInboxPrefix + ".>",
			"_INBOX.>", // the nats CLI or a script using the engine's identity
			"lrreply.>",
		}},
	}
}

// ReaderPermissions are what an outside reader may do with the history
// stream: its info, ephemeral and ordered consumers on it (create, info,
// fetch, acknowledge, flow control, delete when done), direct and
// stored-message gets, the account's info and stream names, and receive on
// _INBOX.> and lr.>. It may publish nothing to lr.>, no write to any
// key-value bucket, no stream deletion, purge or update and no message
// deletion (the stream API subjects are not allowed), nothing of the token
// bucket or the command queue, and it cannot list consumers, so it cannot
// learn the (random) names of the engine's own.
func ReaderPermissions() *server.Permissions {
	s := StreamName
	return &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{
			"$JS.API.INFO",
			"$JS.API.STREAM.NAMES",
			"$JS.API.STREAM.INFO." + s,
			"$JS.API.STREAM.MSG.GET." + s,
			"$JS.API.DIRECT.GET." + s,
			"$JS.API.DIRECT.GET." + s + ".>",
			"$JS.API.CONSUMER.CREATE." + s,
			"$JS.API.CONSUMER.CREATE." + s + ".>",
			"$JS.API.CONSUMER.INFO." + s + ".*",
			"$JS.API.CONSUMER.DELETE." + s + ".*", // its own, when done
			"$JS.API.CONSUMER.MSG.NEXT." + s + ".*",
			"$JS.ACK." + s + ".>",
			"$JS.FC." + s + ".>",
		}},
		Subscribe: &server.SubjectPermission{Allow: []string{
			"_INBOX.>",
			"lr.>",
		}},
	}
}

// serverUsers are the users of the embedded server for c.
func serverUsers(c Credentials) []*server.User {
	return []*server.User{
		{Username: c.Engine.User, Password: c.Engine.Password, Permissions: EnginePermissions()},
		{Username: c.Reader.User, Password: c.Reader.Password, Permissions: ReaderPermissions()},
	}
}
