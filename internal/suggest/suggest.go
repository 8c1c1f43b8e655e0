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
	best, bestD := "", -1
	for _, c := range candidates {
		if c == word {
			continue
		}
		fc := fold(c)
		if fc == fw && fw != "" {
			return c, true
		}
		d := distance(fw, fc)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := len([]rune(fw))/3 + 1
	if bestD >= 0 && bestD <= limit {
		return best, true
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
