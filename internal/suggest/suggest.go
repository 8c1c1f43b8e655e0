// Package suggest finds the nearest valid name to a misspelt one, for
// "did you mean" hints in error messages.
package suggest

import (
	"strings"
	"unicode"
)

// Closest returns the candidate nearest to word, if one is near enough to be
// a plausible typo: names equal after folding case, spaces and punctuation
// first, then the smallest edit distance within about a third of the length.
func Closest(word string, candidates []string) (string, bool) {
	fw := fold(word)
	lw := strings.ToLower(word)
	best, bestD, bestRaw := "", -1, 0
	for _, c := range candidates {
		if c == word {
			continue
		}
		fc := fold(c)
		if fc == fw && fw != "" {
			return c, true
		}
		// Ties on the folded names go to the nearer name as written.
		d, raw := distance(fw, fc), distance(lw, strings.ToLower(c))
		if bestD < 0 || d < bestD || d == bestD && raw < bestRaw {
			best, bestD, bestRaw = c, d, raw
		}
	}
	limit := len([]rune(fw))/3 + 1
	if bestD >= 0 && bestD <= limit {
		return best, true
	}
	// A name cut short ("mobile_phone" for "mobile_phone_number"): the
	// shortest candidate that starts with it.
	if len(fw) >= 4 {
		best = ""
		for _, c := range candidates {
			if strings.HasPrefix(fold(c), fw) && (best == "" || len(c) < len(best)) {
				best = c
			}
		}
		if best != "" {
			return best, true
		}
	}
	return "", false
}

func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '[' || r == ']' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// distance is the Levenshtein distance between a and b, in runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
