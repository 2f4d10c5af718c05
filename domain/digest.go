package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// CommandDigest returns the fingerprint of a command stored with its events
// (Lr-Command-Digest): the hex of the first 16 bytes of the SHA-256 of its
// name, a zero byte and its JSON encoding. The JSON of the decoded value is
// canonical, so the same command sent with other spacing or key order has the
// same digest, and any change of a value changes it.
func CommandDigest(c Command) string {
	data, err := json.Marshal(c)
	if err != nil { // commands are plain values; cannot happen
		data = []byte(fmt.Sprintf("%#v", c))
	}
	h := sha256.New()
	h.Write([]byte(c.CommandName()))
	h.Write([]byte{0})
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)[:16])
}
