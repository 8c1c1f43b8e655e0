package mapping

import "fmt"

// Key returns a row's account key as Build would send it, without building
// the rest of the payload: "" when the mapping has no key, or the row's key
// cell is empty or breaks a rule. It is cheap enough to choose a row's shard
// before deciding to build it.
func (p *Plan) Key(cells []string) string {
	if p.keyStep < 0 {
		return ""
	}
	st := &p.steps[p.keyStep]
	if st.column < 0 {
		if st.constant == nil {
			return ""
		}
		return fmt.Sprint(st.constant)
	}
	if st.column >= len(cells) {
		return ""
	}
	v, present, err := st.value(cells[st.column])
	if err != nil || !present {
		return ""
	}
	return fmt.Sprint(v)
}

// Columns reports, per input column, whether the mapping reads it.
func (p *Plan) Columns() []bool {
	used := make([]bool, len(p.header))
	for i := range p.steps {
		if c := p.steps[i].column; c >= 0 && c < len(used) {
			used[c] = true
		}
	}
	return used
}
