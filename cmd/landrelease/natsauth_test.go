package main

import (
	"strings"
	"testing"
)

// TestNATSFlagsAreCheckedBeforeAnythingStarts: each NATS security flag
// given where it cannot apply, or half given, is a usage error naming it.
func TestNATSFlagsAreCheckedBeforeAnythingStarts(t *testing.T) {
	for _, k := range []string{"NATS_USER", "NATS_PASSWORD", "NATS_CREDS", "NATS_NKEY"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--nats-user", "engine"}, "--nats-user applies to --nats-url only"},
		{[]string{"--nats-creds", "x.creds"}, "--nats-creds applies to --nats-url only"},
		{[]string{"--nats-ca", "ca.pem"}, "--nats-ca applies to --nats-url only"},
		{[]string{"--nats-insecure-listen"}, "--nats-insecure-listen applies to --nats-listen only"},
		{[]string{"--nats-listen", "127.0.0.1:0", "--nats-tls-cert", "c.pem"}, "--nats-tls-cert and --nats-tls-key: give both"},
		{[]string{"--nats-url", "nats://127.0.0.1:1", "--nats-tls-key", "k.pem"}, "--nats-tls-key applies to --nats-listen only"},
		{[]string{"--nats-listen", "10.1.2.3:4222"}, "--nats-insecure-listen"},
	} {
		code, _, errOut := run(t, "", append(append([]string{"--data-dir", dir}, c.args...), "state")...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want usage error with %q", c.args, code, errOut, c.want)
		}
	}
	// Credentials given twice, or a user without a password.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--nats-user", "engine", "--nats-nkey", "x.nk"}, "give one of"},
		{[]string{"--nats-user", "engine"}, "no password"},
		{[]string{"--nats-password-file", "pw"}, "needs --nats-user"},
	} {
		code, _, errOut := run(t, "", append(append([]string{"--data-dir", dir, "--nats-url", "nats://127.0.0.1:1"}, c.args...), "state")...)
		if code == exitOK || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, errOut, c.want)
		}
	}
}
