package mapping

import (
	"fmt"
	"testing"

	"github.com/acctimport/acctimport/providers"
	"github.com/acctimport/acctimport/providers/payway"
)

// benchMapping is the bench program's mapping (samples/payway.yaml without
// its base URL): what validate's 1,000,000 rows go through.
const benchMapping = `provider: payway
options:
  atomic: true
fields:
  id: Account ID
  email: {column: E-mail, transform: [trim, lower]}
  first_name: {column: First name, transform: trim}
  last_name: {column: Last name, transform: trim}
  mobile_phone_number: {column: Mobile, transform: digits}
  social_security_number: Personal number
  birth_date: {column: Born, format: "DD/MM/YYYY"}
  tags: {column: Tags, split: ";"}
  address.street: Street
  address.zip_code: {column: Zip, transform: digits}
  address.city: City
  address.country_code: {column: Country, transform: [trim, upper]}
  account_origin: {value: Daily News}
`

var benchHeader = []string{"Account ID", "E-mail", "First name", "Last name", "Mobile", "Personal number", "Born", "Tags", "Street", "Zip", "City", "Country"}

// benchRow is the bench program's row i.
func benchRow(i int) []string {
	return []string{
		fmt.Sprintf("5f3ac249%016x", i),
		fmt.Sprintf("User.%d@Example.SE", i),
		"Åsa", "Lindqvist",
		fmt.Sprintf("070-%03d %02d %02d", i/10000%1000, i/100%100, i%100),
		fmt.Sprintf("%06d-%04d", 400000+i/10000, i%10000),
		fmt.Sprintf("%02d/%02d/%d", 1+i%28, 1+i%12, 1940+i%60),
		"print;digital",
		fmt.Sprintf("Storgatan %d", 1+i%120),
		fmt.Sprintf("%03d %02d", 100+i%900, i%100),
		"Umeå", "se",
	}
}

func benchPlan(b *testing.B, src string) *Plan {
	b.Helper()
	m, err := Parse("bench.yaml", []byte(src), providers.NewRegistry(payway.Provider{}))
	if err != nil {
		b.Fatal(err)
	}
	p, err := m.Compile(benchHeader, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkBuild is Plan.Build of the bench's rows: valid ones (the
// validate benchmark's path), and rows that break rules, with their
// message, as a dry run of a file with a mapping mistake makes them.
func BenchmarkBuild(b *testing.B) {
	const rows = 1024
	b.Run("valid", func(b *testing.B) {
		p := benchPlan(b, benchMapping)
		cells := make([][]string, rows)
		for i := range cells {
			cells[i] = benchRow(i)
		}
		if r := p.Build(cells[0]); !r.Valid() {
			b.Fatal(p.Message(&r))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			r := p.Build(cells[i%rows])
			if !r.Valid() {
				b.Fatal(p.Message(&r))
			}
		}
	})
	b.Run("invalid", func(b *testing.B) {
		// The mobile column without digits and the dates without a format:
		// every row breaks two rules.
		p := benchPlan(b, `provider: payway
fields:
  id: Account ID
  email: {column: E-mail, transform: [trim, lower]}
  mobile_phone_number: Mobile
  birth_date: Born
`)
		cells := make([][]string, rows)
		for i := range cells {
			cells[i] = benchRow(i)
			cells[i][6] = fmt.Sprintf("%02d/%02d/%d", 13+i%15, 1+i%12, 1940+i%60)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			r := p.Build(cells[i%rows])
			if r.Valid() {
				b.Fatal("valid")
			}
			_ = p.Message(&r)
		}
	})
}
