// Package all is the list of every provider acctimport ships. Adding a
// provider is one package and one line here.
package all

import (
	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/payway"
)

// Registry holds every provider.
var Registry = providers.NewRegistry(
	payway.Provider{},
)
