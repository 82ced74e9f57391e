package segment

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestZZSlow(t *testing.T) {
	files, _ := filepath.Glob("/tmp/celx/slow-*.txt")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for i := 0; i < 3; i++ {
			start := time.Now()
			r, err := Compile(string(b))
			fmt.Println(f, time.Since(start), err)
			if err == nil {
				for _, a := range fuzzProfiles() {
					start := time.Now()
					m, err := r.Match(a)
					fmt.Println("  match", time.Since(start), m, err)
				}
			}
		}
	}
}
