package mapping

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchHeader and benchRow are the bench program's header and row i.
var benchHeader = []string{"Account ID", "E-mail", "First name", "Last name", "Mobile", "Personal number", "Born", "Tags", "Street", "Zip", "City", "Country"}

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

// BenchmarkBuild is Plan.Build of the bench's rows: valid ones (the
// validate benchmark's path), and rows that break rules, with their
// message, as a dry run of a file with a mapping mistake makes them.
func BenchmarkBuild(b *testing.B) {
	const rows = 1024
	b.Run("valid", func(b *testing.B) {
		// samples/payway.yaml is the bench program's mapping, with a base URL.
		src, err := os.ReadFile(filepath.Join("..", "samples", "payway.yaml"))
		if err != nil {
			b.Fatal(err)
		}
		p := realPlan(b, string(src), benchHeader)
		cells := make([][]string, rows)
		for i := range cells {
			cells[i] = benchRow(i)
		}
		if r := p.Build(cells[0]); !r.Valid() {
			b.Fatal(p.Message(&r))
		}
		b.ReportAllocs()
		b.ResetTimer()
		start := cpuTime()
		for i := 0; i < b.N; i++ {
			r := p.Build(cells[i%rows])
			if !r.Valid() {
				b.Fatal(p.Message(&r))
			}
		}
		reportCPU(b, start)
	})
	b.Run("invalid", func(b *testing.B) {
		// The mobile column without digits and the dates without a format:
		// every row breaks two rules.
		p := realPlan(b, `provider: payway
fields:
  id: Account ID
  email: {column: E-mail, transform: [trim, lower]}
  mobile_phone_number: Mobile
  birth_date: Born
`, benchHeader)
		cells := make([][]string, rows)
		for i := range cells {
			cells[i] = benchRow(i)
			cells[i][6] = fmt.Sprintf("%02d/%02d/%d", 13+i%15, 1+i%12, 1940+i%60)
		}
		b.ReportAllocs()
		b.ResetTimer()
		start := cpuTime()
		for i := 0; i < b.N; i++ {
			r := p.Build(cells[i%rows])
			if r.Valid() {
				b.Fatal("valid")
			}
			_ = p.Message(&r)
		}
		reportCPU(b, start)
	})
}
