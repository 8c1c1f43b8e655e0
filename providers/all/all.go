// Package all is the list of every provider acctimport ships. Adding a
// provider is one package and one line here.
package all

import (
	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/fairwarning"
	"github.com/acctimport/acctimport/providers/finerworks"
	"github.com/acctimport/acctimport/providers/payway"
	"github.com/acctimport/acctimport/providers/userapi"
)

// Registry holds every provider.
var Registry = providers.NewRegistry(
	fairwarning.Provider{},
	finerworks.Provider{},
	payway.Provider{},
	userapi.Provider{},
)
