package pace

import (
	"context"
	"sync"
	"time"
)

// Clock is the time a controller paces by. Tests give a fake one; nil in a
// Config means the real time.
type Clock interface {
	Now() time.Time
	// Sleep waits for d, or until ctx is done, when it returns ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock sleeps on pooled timers: an attempt that waits for its turn
// must not cost a timer allocation every time, at thousands a second.
type realClock struct{}

var timers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := timers.Get().(*time.Timer)
	// Since Go 1.23 a stopped or fired timer has nothing left in its
	// channel, so Reset on a pooled timer cannot see a stale tick.
	t.Reset(d)
	defer func() {
		t.Stop()
		timers.Put(t)
	}()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
