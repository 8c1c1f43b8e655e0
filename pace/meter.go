package pace

import "time"

const (
	slotLen = 100 * time.Millisecond
	nSlots  = 50 // 5 s of history
	// peakWindow is how long a pace must hold to count as sustained.
	peakWindow = nSlots * slotLen
)

// meter counts unthrottled answers in 100 ms slots over the last 5 s: the
// rate the server actually took, for a cut after a throttle and for the
// highest sustained pace. Fixed arrays: counting costs no allocation.
type meter struct {
	cur   int64 // the slot now is in: elapsed / slotLen
	good  [nSlots]int32
	sum   int64 // of good, kept up to date
	total int64 // unthrottled answers since the start
	peak  float64
}

// advance moves the ring to now's slot, clearing the slots skipped, and
// records the peak of every whole window that ends on the way.
func (m *meter) advance(now time.Duration) {
	s := int64(now / slotLen)
	if s <= m.cur {
		return
	}
	for n := 0; m.cur < s && n <= nSlots; n++ {
		if m.cur+1 >= nSlots {
			m.peak = max(m.peak, float64(m.sum)/peakWindow.Seconds())
		}
		m.cur++
		i := m.cur % nSlots
		m.sum -= int64(m.good[i])
		m.good[i] = 0
	}
	m.cur = s
}

func (m *meter) add(now time.Duration) {
	m.advance(now)
	m.good[m.cur%nSlots]++
	m.sum++
	m.total++
}

// recent is the rate of unthrottled answers over the last d (whole slots,
// at most 5 s, at most since the start), and how many there were.
func (m *meter) recent(now, d time.Duration) (float64, int64) {
	m.advance(now)
	k := min(int64(d/slotLen), nSlots, m.cur+1)
	if k < 1 {
		return 0, 0
	}
	var n int64
	for j := int64(0); j < k; j++ {
		n += int64(m.good[(m.cur-j)%nSlots])
	}
	// The current slot is only partly over.
	span := time.Duration(k-1)*slotLen + now - time.Duration(m.cur)*slotLen
	if span <= 0 || n == 0 {
		return 0, 0
	}
	return float64(n) / span.Seconds(), n
}

// peakAt is the highest rate over any 5 s, or over the whole run when it
// has not yet lasted 5 s.
func (m *meter) peakAt(now time.Duration) float64 {
	m.advance(now)
	if now < peakWindow {
		if now <= 0 {
			return 0
		}
		return max(m.peak, float64(m.total)/now.Seconds())
	}
	return m.peak
}
