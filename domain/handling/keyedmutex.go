package handling

import (
	"sync"

	"github.com/landrelease/landrelease/events"
)

// keyedMutex serialises work per aggregate inside one engine, so commands on
// the same aggregate queue up instead of racing to a conflict. It is only an
// optimisation: the store's expected-version check is the guard.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[events.Ref]*refLock
}

type refLock struct {
	sync.Mutex
	waiters int
}

func (k *keyedMutex) Lock(ref events.Ref) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[events.Ref]*refLock)
	}
	l := k.locks[ref]
	if l == nil {
		l = &refLock{}
		k.locks[ref] = l
	}
	l.waiters++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		l.waiters--
		if l.waiters == 0 {
			delete(k.locks, ref)
		}
		k.mu.Unlock()
	}
}
