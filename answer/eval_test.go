package answer

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"policybot/retrieval"
)

type scriptedAsker map[string]Answer

func (s scriptedAsker) Ask(_ context.Context, req Request) (Answer, error) {
	return s[req.Question], nil
}

func TestEvaluateAnswers(t *testing.T) {
	qs := []retrieval.EvalQuestion{
		{Q: "a", Gold: []string{"最长不得超过60日"}},
		{Q: "b", Gold: []string{"6.建立疫情防控专项资金池"}},
		{Q: "c", Gold: []string{"免收房租"}},
		{Q: "d", Gold: []string{"续贷"}},
		{Q: "e"},
		{Q: "f"},
	}
	a := scriptedAsker{
		"a": {Answered: true, Confidence: ConfidenceHigh, Answer: "合同另有约定的，付款期限最长不得超过 60 日。", Citations: make([]retrieval.Hit, 1)},
		"b": {Answered: true, Confidence: ConfidenceLow, Answer: "建立疫情防控专项资金池，主要用于……", Citations: make([]retrieval.Hit, 2)},
		"c": {Answered: true, Confidence: ConfidenceHigh, Answer: "减半收取物业费。", Citations: make([]retrieval.Hit, 1)},
		"d": {Answer: refusal, Confidence: ConfidenceLow},
		"e": {Answer: refusal, Confidence: ConfidenceLow},
		"f": {Answered: true, Confidence: ConfidenceHigh, Answer: strings.Repeat("字", 500), Citations: make([]retrieval.Hit, 1)},
	}
	rep, err := EvaluateAnswers(context.Background(), a, qs, "")
	if err != nil {
		t.Fatal(err)
	}
	want := AnswerReport{Answerable: 4, Unanswerable: 2, Refused: 1, Hedged: 1, Answered: 2, GoldInAnswer: 2,
		UnanswerableAnswered: 1, MedianRunes: 24, P90Runes: 500, MaxRunes: 500, CitationsAvg: 1.25}
	got := rep
	got.Misses = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("report %+v\nwant   %+v", got, want)
	}
	if len(rep.Misses) != 3 || rep.Misses[0].Kind != "answered-without-gold" || rep.Misses[1].Kind != "refused" || rep.Misses[2].Kind != "answered-unanswerable" {
		t.Errorf("misses %+v", rep.Misses)
	}
}
