package mapping

import "github.com/acctimport/acctimport/providers"

// starterFor is init on a header alone, for the header table.
func starterFor(p providers.Provider, header []string) []byte {
	return Starter(p, Sample{Header: header})
}
