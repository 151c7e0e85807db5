package segment

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"policybot/seeds"
)

// Lexicon is a domain dictionary, a synonym list and the question filler.
// It is read-only after construction and safe for concurrent use.
type Lexicon struct {
	words     map[string]bool // dictionary and synonym words of two or more characters
	maxLen    int             // longest word, in runes
	groups    [][]string      // synonym groups, canonical form first
	groupOf   map[string][]int
	filler    map[string]bool
	maxFiller int
	intents   []intent

	// queries caches Query's results: answering one question asks for its
	// terms several times (search, follow-up detection, the extractive
	// quote), and its synonym scan was a tenth of an answer's CPU.
	mu      sync.Mutex
	queries map[string][]Term
}

// maxCachedQueries bounds the Query cache; it starts over when full.
const maxCachedQueries = 4096

// intent is a kind of question and the words its answers are titled with.
type intent struct {
	re    *regexp.Regexp
	words []string
}

// SetIntents parses an intent list (one intent a line: a regular expression
// over the question, a tab, the words separated by spaces; '#' comments) and
// makes Query add the words of every intent a question matches, at
// SynonymWeight. Call it before the lexicon is shared.
func (l *Lexicon) SetIntents(text string) error {
	var out []intent
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pattern, words, ok := strings.Cut(line, "\t")
		if !ok || strings.TrimSpace(words) == "" {
			return fmt.Errorf("segment: intent line %d: want a pattern, a tab and words", i+1)
		}
		re, err := regexp.Compile(Normalize(strings.TrimSpace(pattern)))
		if err != nil {
			return fmt.Errorf("segment: intent line %d: %w", i+1, err)
		}
		out = append(out, intent{re: re, words: strings.Fields(Normalize(words))})
	}
	l.intents = out
	l.queries = nil // cached results predate these intents
	return nil
}

// Filler is what questions say around their subject and no clause answers:
// interrogatives, modal verbs, politeness and the asker themself. 企业 and
// 公司 are deliberately not filler: clauses are about 企业 too, BM25 already
// gives such common bigrams little weight, and 融资担保公司 must stay whole.
var Filler = []string{
	"请问", "请教", "咨询一下", "想问", "我想", "我们", "我司", "本公司", "我公司", "我", "你们", "您",
	"怎么办", "怎么样", "怎么", "怎样", "如何", "什么", "哪些", "哪个", "哪里", "哪儿", "多少个", "多少家", "多少项", "多少种", "多少名", "多少",
	"有没有", "有无", "能不能", "能否", "可不可以", "是不是", "是否", "会不会", "要不要", "可以", "能够",
	"有何", "有哪些", "吗", "呢", "吧", "啊", "呀", "意思", "干什么", "干嘛",
}

// NewLexicon parses a dictionary (one word a line) and a synonym list (one
// group a line, words separated by white space, canonical form first). Lines
// starting with '#' and blank lines are ignored.
func NewLexicon(dict, synonyms string) (*Lexicon, error) {
	l := &Lexicon{words: map[string]bool{}, groupOf: map[string][]int{}, filler: map[string]bool{}}
	add := func(w string) {
		if n := utf8.RuneCountInString(w); n >= 2 {
			l.words[w] = true
			if n > l.maxLen {
				l.maxLen = n
			}
		}
	}
	for i, line := range strings.Split(dict, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.ContainsAny(line, " \t") {
			return nil, fmt.Errorf("segment: dictionary line %d: %q has white space", i+1, line)
		}
		add(Normalize(line))
	}
	for i, line := range strings.Split(synonyms, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		g := strings.Fields(Normalize(line))
		if len(g) < 2 {
			return nil, fmt.Errorf("segment: synonym line %d: %q needs two or more words", i+1, line)
		}
		for _, w := range g {
			add(w)
			l.groupOf[w] = append(l.groupOf[w], len(l.groups))
		}
		l.groups = append(l.groups, g)
	}
	for _, f := range Filler {
		l.filler[f] = true
		if n := utf8.RuneCountInString(f); n > l.maxFiller {
			l.maxFiller = n
		}
	}
	return l, nil
}

// Default returns the lexicon embedded from seeds/lexicon.
var Default = sync.OnceValue(func() *Lexicon {
	l, err := NewLexicon(seeds.Dictionary, seeds.Synonyms)
	if err == nil {
		err = l.SetIntents(seeds.Intents)
	}
	if err != nil {
		// The embedded files are tested; failing here is a build defect.
		panic(err)
	}
	return l
})

// Fingerprint identifies the embedded lexicon: terms worked out with
// another lexicon are other terms, so caches of them key on it.
var Fingerprint = sync.OnceValue(func() string {
	h := sha256.New()
	for _, f := range []string{seeds.Dictionary, seeds.Synonyms, seeds.Intents} {
		fmt.Fprintf(h, "%d\n%s", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
})
