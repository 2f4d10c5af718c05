package bus

import (
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"

	"github.com/landrelease/landrelease/domain"
)

// Metadata keys of a command message (NATS headers over JetStream). The
// correlation ID uses watermill's own key, middleware.CorrelationIDMetadataKey.
const (
	MetadataMessage     = "Lr-Message"      // always CommandMessageName
	MetadataCommand     = "Lr-Command"      // the command's wire name, e.g. "CancelArea"
	MetadataCausationID = "Lr-Causation-Id" // the message that caused the command, if any
	// The principal who sent the command through the API: the replica that
	// handles it checks the role (domain.Authorize), wherever it was sent.
	MetadataPrincipalName = "Lr-Principal-Name"
	MetadataPrincipalRole = "Lr-Principal-Role"
)

// commandMessage is the one type the CQRS components carry: a command in its
// wire form (domain.EncodeCommand) and what the wire form does not hold.
// It is decoded by the handler side, not by the marshaler, so that a command
// that does not decode is answered as refused instead of being redelivered.
type commandMessage struct {
	wire        []byte
	command     string
	correlation string
	causation   uuid.UUID
	principal   *domain.Principal
}

// commandMarshaler is the cqrs.CommandEventMarshaler of the bus. Every
// command has the same name, CommandMessageName: the bus routes one message
// type and the domain dispatches on the wire's "command" field.
type commandMarshaler struct{}

var _ cqrs.CommandEventMarshaler = commandMarshaler{}

func (commandMarshaler) Marshal(v any) (*message.Message, error) {
	c, ok := v.(*commandMessage)
	if !ok {
		return nil, fmt.Errorf("bus: cannot marshal %T, only commands sent through Bus.Send", v)
	}
	msg := message.NewMessage(watermill.NewUUID(), c.wire)
	msg.Metadata.Set(MetadataMessage, CommandMessageName)
	msg.Metadata.Set(MetadataCommand, c.command)
	if c.causation != uuid.Nil {
		msg.Metadata.Set(MetadataCausationID, c.causation.String())
	}
	if c.principal != nil {
		msg.Metadata.Set(MetadataPrincipalName, c.principal.Name)
		msg.Metadata.Set(MetadataPrincipalRole, c.principal.Role.String())
	}
	middleware.SetCorrelationID(c.correlation, msg)
	return msg, nil
}

func (commandMarshaler) Unmarshal(msg *message.Message, v any) error {
	c, ok := v.(*commandMessage)
	if !ok {
		return fmt.Errorf("bus: cannot unmarshal into %T", v)
	}
	c.wire = msg.Payload
	c.command = msg.Metadata.Get(MetadataCommand)
	c.correlation = middleware.MessageCorrelationID(msg)
	// A malformed causation ID is dropped rather than refused: it is
	// provenance, not part of the command.
	c.causation, _ = uuid.Parse(msg.Metadata.Get(MetadataCausationID))
	c.principal = nil
	if role := msg.Metadata.Get(MetadataPrincipalRole); role != "" {
		// The role was checked against the gazetteer when its token was made.
		r, err := domain.ParseRole(role, "")
		if err != nil {
			// An unreadable role must not pass as a trusted local caller.
			r = domain.Role{Kind: domain.RoleAnalyst}
		}
		c.principal = &domain.Principal{Name: msg.Metadata.Get(MetadataPrincipalName), Role: r}
	}
	return nil
}

func (commandMarshaler) Name(any) string { return CommandMessageName }

func (commandMarshaler) NameFromMessage(msg *message.Message) string {
	return msg.Metadata.Get(MetadataMessage)
}
