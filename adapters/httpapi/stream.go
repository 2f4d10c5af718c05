package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/landrelease/landrelease/domain"
)

// stream sends a server-sent event each time the projections commit, so a
// page updates when new events arrive:
//
//	event: sequence
//	data: {"sequence": N}
//
// and a comment every 15 s to keep proxies from closing it.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, _ *domain.Principal) error {
	if err := newQuery(r).err; err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // long-lived
	ch, cancel := s.backend.Subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(seq uint64) error {
		if _, err := fmt.Fprintf(w, "event: sequence\ndata: {\"sequence\": %d}\n\n", seq); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send(s.backend.Projected()); err != nil {
		return nil
	}
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.closing:
			return nil
		case seq := <-ch:
			if send(seq) != nil {
				return nil
			}
		case <-keep.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return nil
			}
		}
	}
}
