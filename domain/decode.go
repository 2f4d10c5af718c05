package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
)

// CommandEnvelope is one command with its identity and provenance, as sent
// on the wire: {"command": NAME, "command_id": UUID?, "actor": STRING?, "data": {...}}.
type CommandEnvelope struct {
	ID            uuid.UUID // command_id; zero until the engine assigns one
	Actor         string
	CorrelationID uuid.UUID // zero: the command ID
	CausationID   uuid.UUID // zero: none
	// RecordedAt is when the fact entered a database: zero means now, when
	// the engine accepts it. Only import sets it, to keep the original entry
	// time of history migrated from another system (Lr-Recorded-At), so
	// that "what did the database say then" works on migrated history.
	RecordedAt time.Time
	// Principal is who sends the command through the API: the handler
	// refuses it with ErrForbidden when the role may not (domain/access.go).
	// nil is a trusted local caller (the CLI on the data dir).
	Principal *Principal
	Command   Command
}

type wireCommand struct {
	Command       string          `json:"command"`
	CommandID     string          `json:"command_id,omitempty"`
	Actor         string          `json:"actor,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	Data          json.RawMessage `json:"data"`
}

// DecodeCommand parses one wire command and validates it. A key repeated in
// any object of the line (compared without regard to case, as fields are
// matched) is refused with ErrInvalid naming it. Every problem found
// is reported at once in an ErrInvalid *Error whose fields are JSON names
// ("data.size_m2" style paths are not used: fields are those of data, except
// "command", "command_id" and "actor" for the envelope).
func DecodeCommand(line []byte) (CommandEnvelope, error) {
	var env CommandEnvelope
	var w wireCommand
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return env, &Error{Op: "decode", Kind: ErrInvalid, Malformed: true, Problems: []Problem{jsonProblem("", err)}}
	}
	if dec.More() {
		return env, &Error{Op: "decode", Kind: ErrInvalid, Malformed: true, Problems: []Problem{{Reason: "more than one JSON value on the line"}}}
	}
	op := w.Command
	if op == "" {
		op = "decode"
	}
	if path, key, first, dup := duplicateKey(line); dup {
		if path == "command" {
			op = "decode" // which command it is, is what is ambiguous
		}
		same := ""
		if key != first {
			same = fmt.Sprintf(" (the same field as %q: names match without regard to case)", first)
		}
		return env, &Error{Op: op, Kind: ErrInvalid, Malformed: true, Problems: []Problem{{Field: path,
			Reason: fmt.Sprintf("duplicate key %q%s: each key may appear once in an object (which value would count is ambiguous)", key, same)}}}
	}
	var probs Problems
	if w.CommandID != "" {
		id, err := uuid.Parse(w.CommandID)
		if err != nil {
			probs.Add("command_id", "not a UUID: %q", w.CommandID)
		}
		env.ID = id
	}
	if w.CorrelationID != "" {
		id, err := uuid.Parse(w.CorrelationID)
		if err != nil {
			probs.Add("correlation_id", "not a UUID: %q", w.CorrelationID)
		}
		env.CorrelationID = id
	}
	env.Actor = w.Actor
	if w.Command == "" {
		probs.Add("command", "missing; one of %s", strings.Join(CommandNames(), ", "))
		return env, malformed(probs.Err(op))
	}
	cmd, ok := newCommand(w.Command)
	if !ok {
		probs.Add("command", "unknown command %q; one of %s", w.Command, strings.Join(CommandNames(), ", "))
		return env, malformed(probs.Err(op))
	}
	if len(w.Data) == 0 || string(w.Data) == "null" {
		probs.Add("data", "missing: the command's fields go in an object under \"data\"")
		return env, malformed(probs.Err(op))
	}
	// Fast path: one strict decode. Only a command that fails it is decoded
	// again field by field, to report every bad field rather than the first.
	strict := json.NewDecoder(bytes.NewReader(w.Data))
	strict.DisallowUnknownFields()
	if err := strict.Decode(cmd); err != nil {
		reset(cmd)
		decodeFields(w.Data, cmd, &probs)
		if len(probs) == 0 { // the whole-object error was not about one field
			probs = append(probs, jsonProblem("data", err))
		}
	}
	env.Command = reflect.ValueOf(cmd).Elem().Interface().(Command)
	if len(probs) > 0 {
		return env, malformed(probs.Err(op))
	}
	// Validation of values only makes sense once every field decoded.
	cmd.Validate(&probs)
	return env, probs.Err(op)
}

// malformed marks err (an *Error from Problems.Err) as input that is not a
// well-formed command.
func malformed(err error) error {
	if e, ok := err.(*Error); ok {
		e.Malformed = true
	}
	return err
}

// reset sets the struct cmd points to back to its zero value.
func reset(cmd Command) {
	v := reflect.ValueOf(cmd).Elem()
	v.Set(reflect.Zero(v.Type()))
}

// decodeFields decodes a JSON object into the struct pointed to by dst one
// field at a time, so every wrongly typed or unknown field is reported, not
// only the first.
func decodeFields(data json.RawMessage, dst any, probs *Problems) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		probs.Add("data", "must be a JSON object: %v", err)
		return
	}
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	fields := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[name] = i
		}
	}
	for _, key := range sortedKeys(obj) {
		i, ok := fields[key]
		if !ok {
			if key == "" { // {"": ...}: name the object, not an empty field
				probs.Add("data", "unknown field with an empty name")
				continue
			}
			probs.Add(key, "unknown field")
			continue
		}
		raw := obj[key]
		f := v.Field(i)
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(f.Addr().Interface()); err != nil {
			p := jsonProblem(key, err)
			probs.Add(p.Field, "%s", p.Reason)
		}
	}
}

func jsonProblem(field string, err error) Problem {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		f := field
		if te.Field != "" {
			if f != "" {
				f += "."
			}
			f += te.Field
		}
		return Problem{Field: f, Reason: fmt.Sprintf("wrong type: want %s, got JSON %s", typeName(te.Type), te.Value)}
	case errors.As(err, &se):
		return Problem{Field: field, Reason: fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return Problem{Field: field, Reason: "malformed JSON: the line ends before the JSON value does"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if field != "" {
			name = field + "." + name
		}
		return Problem{Field: name, Reason: "unknown field"}
	default:
		msg := strings.TrimPrefix(err.Error(), "json: ")
		return Problem{Field: field, Reason: msg}
	}
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Array:
		if t == reflect.TypeOf(uuid.UUID{}) {
			return "a UUID string"
		}
		return "a list"
	}
	return t.String()
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ { // small maps: insertion sort keeps it dependency-free
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// EncodeCommand writes a command envelope in its wire form.
func EncodeCommand(env CommandEnvelope) ([]byte, error) {
	data, err := json.Marshal(env.Command)
	if err != nil {
		return nil, err
	}
	w := wireCommand{Command: env.Command.CommandName(), Actor: env.Actor, Data: data}
	if env.ID != uuid.Nil {
		w.CommandID = env.ID.String()
	}
	if env.CorrelationID != uuid.Nil {
		w.CorrelationID = env.CorrelationID.String()
	}
	return json.Marshal(w)
}
