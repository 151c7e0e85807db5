package policy

import (
	"strings"
	"testing"
)

// BenchmarkParseAdversarial parses large inputs of one repeated shape: the
// parser must stay linear (an upload may be 2 MiB of anything). Compiling a
// regexp per line once made "numbers" take 6 s for 300 KB.
func BenchmarkParseAdversarial(b *testing.B) {
	for name, in := range map[string]string{
		"numbers":  strings.Repeat("1.\n", 100000),
		"orglines": strings.Repeat("天津市人民政府办公厅\n", 50000),
		"dates":    strings.Repeat("2022年6月18日\n", 50000),
		"headings": strings.Repeat("（一）加强信贷支持。\n", 50000),
		"longline": strings.Repeat("加强信贷支持，", 150000),
	} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				_, _ = Parse("x.txt", []byte(in))
			}
		})
	}
}
