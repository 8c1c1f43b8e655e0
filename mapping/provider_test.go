package mapping

import (
	"encoding/json"
	"net/http"

	"github.com/acctimport/acctimport/providers"
)

// testProvider has one field of every type, so the mapping is tested apart
// from any real provider.
type testProvider struct{}

type testOptions struct {
	Mode string `yaml:"mode"`
}

func (o *testOptions) Validate() error { return nil }

var testTable = providers.NewTable(
	providers.Field{Path: "id", Type: providers.String, Required: true, Rules: []providers.Rule{providers.Match(`^[0-9a-f]{4}$`)}},
	providers.Field{Path: "email", Type: providers.String, Rules: []providers.Rule{providers.Length(0, 20)}},
	providers.Field{Path: "mobile", Type: providers.String, Rules: []providers.Rule{providers.Match(`^[+,0]?[0-9]{10,12}$`)}},
	providers.Field{Path: "alias", Type: providers.String, Unset: "__UNSET__", Rules: []providers.Rule{providers.Length(3, 10)}},
	providers.Field{Path: "age", Type: providers.Int, Rules: []providers.Rule{providers.Range(0, 150)}},
	providers.Field{Path: "active", Type: providers.Bool},
	providers.Field{Path: "born", Type: providers.Date, Rules: []providers.Rule{providers.ValidDate()}},
	providers.Field{Path: "seen", Type: providers.DateTime},
	providers.Field{Path: "tags", Type: providers.StringList},
	providers.Field{Path: "password", Type: providers.String, Secret: true},
	providers.Field{Path: "address", Type: providers.Object},
	providers.Field{Path: "address.city", Type: providers.String},
	providers.Field{Path: "address.street", Type: providers.String, Required: true},
	providers.Field{Path: "addresses", Type: providers.ObjectList},
	providers.Field{Path: "addresses[].zip", Type: providers.String, Required: true},
	providers.Field{Path: "addresses[].city", Type: providers.String},
	providers.Field{Path: "photo", Type: providers.File, Rules: []providers.Rule{providers.JPEG()}},
	providers.Field{Path: "lists", Type: providers.NameSet},
	providers.Field{Path: "ssn", Type: providers.String, Rules: []providers.Rule{providers.Match(`^\d{6}-\d{4}$`)}},
	providers.Field{Path: "crn", Type: providers.String, Rules: []providers.Rule{providers.Match(`^(?:\d{6}-\d{4}|\d{7}-\d)$`)}},
)

func (testProvider) Info() providers.Info {
	return providers.Info{Name: "test", BaseURL: "https://example.invalid", Key: "id"}
}
func (testProvider) Table() *providers.Table                        { return testTable }
func (testProvider) NewOptions() providers.Options                  { return &testOptions{} }
func (testProvider) Authorize(*http.Request, providers.Credentials) {}
func (testProvider) Encode(p map[string]any, _ providers.Options) (*providers.Request, error) {
	b, err := json.Marshal(p)
	return &providers.Request{Method: "PUT", Path: "/x", ContentType: "application/json", Body: b}, err
}
func (testProvider) Read(int, http.Header, []byte, providers.Options) providers.Answer {
	return providers.Answer{}
}
func (testProvider) NewFake(providers.Credentials) providers.Fake { return nil }

var testRegistry = providers.NewRegistry(testProvider{})
