package bot

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShorten(t *testing.T) {
	const cite = "依据：《天津市提升中小企业竞争力若干措施》第(四)条 无还本续贷"
	const unit = "责任单位：人民银行天津分行"
	const link = "完整回答：https://policy.example.cn/a/0123456789abcdef0123456789abcdef"
	sentence := "企业可以申请贷款贴息。" // 33 bytes
	tests := []struct {
		name string
		text string
		link string
		max  int
		want string
	}{
		{"Fits", "短回答。\n" + cite, "", 2048, "短回答。\n" + cite},
		{"SentenceCut", strings.Repeat(sentence, 4) + "\n" + cite + "\n" + unit, link,
			2*len(sentence) + 10 + len(cite) + len(unit) + len(link) + 3,
			strings.Repeat(sentence, 2) + "\n" + cite + "\n" + unit + "\n" + link},
		{"NoBoundaryMarksCut", strings.Repeat("长", 100) + "\n" + cite, "", 30 + len(cite) + 1,
			strings.Repeat("长", 9) + "…\n" + cite},
		{"NoCitations", strings.Repeat(sentence, 3), "", 2*len(sentence) + 5, strings.Repeat(sentence, 2)},
		{"DropsLaterCitationsBeforeLink", "正文。\n" + cite + "\n" + cite + "\n" + unit, link,
			len(cite) + len(link) + 1, cite + "\n" + link},
		{"BlankLinesBeforeCitations", strings.Repeat(sentence, 3) + "\n\n" + cite + "\n", "",
			len(sentence) + len(cite) + 1, sentence + "\n" + cite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := shorten(tt.text, tt.link, tt.max)
			if got != tt.want {
				t.Fatalf("shorten:\n got %q\nwant %q", got, tt.want)
			}
			if len(got) > tt.max || !utf8.ValidString(got) {
				t.Fatalf("%d bytes (max %d), valid UTF-8 %v", len(got), tt.max, utf8.ValidString(got))
			}
		})
	}
}

func TestShortenAlwaysWithinLimit(t *testing.T) {
	text := strings.Repeat("第一句很长很长很长。第二句！", 200) + "\n依据：" + strings.Repeat("《某文件》", 300)
	for max := 0; max <= 2048; max += 97 {
		got := shorten(text, "完整回答：https://x/a/1", max)
		if len(got) > max || !utf8.ValidString(got) {
			t.Fatalf("max %d: %d bytes, valid UTF-8 %v", max, len(got), utf8.ValidString(got))
		}
	}
}

func TestHashID(t *testing.T) {
	if got := hashID("oUser"); len(got) != 12 || got == hashID("oUser2") || strings.Contains(got, "oUser") {
		t.Fatalf("hashID = %q", got)
	}
}

// TestFitCitations: a long answer citing three clauses loses whole
// citations from the end — each quote kept keeps its own 依据 and 责任单位
// lines, never another citation's.
func TestFitCitations(t *testing.T) {
	quote := func(n int) string {
		return strings.Repeat("第"+strconv.Itoa(n)+"条的内容很长。", 30) + "[" + strconv.Itoa(n) + "]"
	}
	block := func(n int) string {
		return "[" + strconv.Itoa(n) + "] 依据：《文件" + strconv.Itoa(n) + "》第" + strconv.Itoa(n) + "条\n责任单位：单位" + strconv.Itoa(n)
	}
	text := strings.Join([]string{"根据现行政策，相关规定如下：", quote(1), quote(2), quote(3), block(1), block(2), block(3)}, "\n\n")
	const link = "完整回答：https://policy.example.cn/a/0123"
	got := fitCitations(text, link, 2048)
	if len(got) > 2048 {
		t.Fatalf("%d bytes", len(got))
	}
	for _, want := range []string{"[1] 依据：《文件1》", "责任单位：单位1", "[2] 依据：《文件2》", "责任单位：单位2", link} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q:\n%s", want, got)
		}
	}
	for _, not := range []string{"第3条", "单位3", "[3]"} {
		if strings.Contains(got, not) {
			t.Errorf("reply keeps %q of the dropped citation:\n%s", not, got)
		}
	}
	// Down to one citation, still too long: its quote is cut, its lines kept.
	got = fitCitations(text, link, 700)
	if len(got) > 700 || !strings.Contains(got, "[1] 依据：《文件1》") || !strings.Contains(got, "责任单位：单位1") || strings.Contains(got, "单位2") {
		t.Errorf("one citation left:\n%s", got)
	}
}
