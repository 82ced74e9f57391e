package profile_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"segbridge/internal/profile"
)

const benchRows = 100_000

// benchInput returns benchRows profiles shaped like the demo data (17
// columns: strings, postal codes, dates, an int and a decimal) as CSV or JSONL.
func benchInput(format profile.Format) []byte {
	var b bytes.Buffer
	if format == profile.FormatCSV {
		b.WriteString("id,first_name,last_name,email,phone,address,city,state,postal_code,country," +
			"country_code,email_consent,email_consent_date,orders,lifetime_value,last_order_date,created\n")
	}
	for i := range benchRows {
		orders := i % 23
		ltv := fmt.Sprintf("%d.%02d", orders*57+i%100, i%100)
		if format == profile.FormatCSV {
			fmt.Fprintf(&b, "C%07d,Jana,Nováková,jana.novakova%d@example.com,+42077712%04d,\"Vinohradská %d, byt 4\","+
				"Praha,Hlavní město Praha,120 00,Czechia,CZ,subscribed,2024-03-05T10:11:12Z,%d,%s,2025-01-02,2021-06-07\n",
				i, i, i%10000, i%300, orders, ltv)
			continue
		}
		fmt.Fprintf(&b, `{"id":"C%07d","first_name":"Jana","last_name":"Nováková","email":"jana.novakova%d@example.com",`+
			`"phone":"+42077712%04d","address":"Vinohradská %d, byt 4","city":"Praha","state":"Hlavní město Praha",`+
			`"postal_code":"120 00","country":"Czechia","country_code":"CZ","email_consent":"subscribed",`+
			`"email_consent_date":"2024-03-05T10:11:12Z","orders":%d,"lifetime_value":%s,`+
			`"last_order_date":"2025-01-02","created":"2021-06-07"}`+"\n",
			i, i, i%10000, i%300, orders, ltv)
	}
	return b.Bytes()
}

func benchmarkRead(b *testing.B, format profile.Format) {
	input := benchInput(format)
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := profile.NewReader(bytes.NewReader(input), profile.ReadOptions{Format: format, IDColumn: "id"})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil || rec.Err != nil {
				b.Fatalf("row %d: %v %v", n, err, rec.Err)
			}
			n++
		}
		if n != benchRows {
			b.Fatalf("read %d rows, want %d", n, benchRows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchRows), "ns/row")
}

func BenchmarkReadCSV(b *testing.B)   { benchmarkRead(b, profile.FormatCSV) }
func BenchmarkReadJSONL(b *testing.B) { benchmarkRead(b, profile.FormatJSONL) }
