package load

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"policybot/answer"
	"policybot/bot"
	"policybot/state"
)

type countingAsker struct{ calls atomic.Int64 }

func (a *countingAsker) Ask(ctx context.Context, req answer.Request) (answer.Answer, error) {
	a.calls.Add(1)
	return answer.Answer{Answered: true, Answer: "答：" + req.Question}, nil
}

// newBot serves the real WeChat handler, which verifies signatures with the
// library, so these tests fail if the generator signs wrongly.
func newBot(t *testing.T, token string) (*httptest.Server, *countingAsker) {
	t.Helper()
	asker := &countingAsker{}
	h, err := bot.New(bot.Config{
		Token: token, Asker: asker, State: state.NewMemory(), RateLimit: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Shutdown(ctx)
	})
	return srv, asker
}

func TestRun(t *testing.T) {
	srv, asker := newBot(t, "tok")
	tests := []struct {
		name    string
		token   string
		wantOK  bool
		wantErr string
	}{
		{"OK", "tok", true, ""},
		{"WrongToken", "other", false, "status 403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := asker.calls.Load()
			res, err := Run(context.Background(), Config{
				URL: srv.URL + "/wechat", Token: tt.token, Users: 4, Max: 20, Duration: 10 * time.Second,
				Questions: []string{"小微企业续贷怎么办", "有哪些税费优惠"},
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != 20 {
				t.Fatalf("sent %d, want the bound 20", res.Sent)
			}
			asked := asker.calls.Load() - before
			if tt.wantOK {
				if res.OK != 20 || len(res.Latencies) != 20 || len(res.Errors) != 0 || asked != 20 {
					t.Fatalf("ok %d, latencies %d, errors %v, asked %d", res.OK, len(res.Latencies), res.Errors, asked)
				}
				return
			}
			if res.OK != 0 || res.Errors[tt.wantErr] != 20 || asked != 0 {
				t.Fatalf("ok %d, errors %v, asked %d; want 20 × %q", res.OK, res.Errors, asked, tt.wantErr)
			}
		})
	}
}

func TestRunStopsAtDuration(t *testing.T) {
	srv, _ := newBot(t, "tok")
	start := time.Now()
	res, err := Run(context.Background(), Config{
		URL: srv.URL + "/wechat", Token: "tok", Users: 2, Duration: 300 * time.Millisecond,
		Questions: []string{"续贷"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("ran %s for a 300ms duration", took)
	}
	if res.OK == 0 || len(res.Errors) != 0 {
		t.Fatalf("ok %d errors %v", res.OK, res.Errors)
	}
}

func TestRequestSignature(t *testing.T) {
	now := time.Unix(1700000000, 0)
	req, err := Request(context.Background(), "http://127.0.0.1/wechat", "tok", "gh_x", "o1", 42, "续贷<&>", now)
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	// sha1 of the sorted strings "1700000000", "16" (42 in base 36), "tok".
	if got, want := q.Get("signature"), "6173a03047f2c026fb51615f920f63f89c519e15"; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	body, _ := io.ReadAll(req.Body)
	for _, want := range []string{"<MsgId>42</MsgId>", "<![CDATA[续贷<&>]]>", "<FromUserName><![CDATA[o1]]></FromUserName>", "<CreateTime>1700000000</CreateTime>"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body %s lacks %s", body, want)
		}
	}
}

func TestCheckLoopback(t *testing.T) {
	for endpoint, ok := range map[string]bool{
		"http://127.0.0.1:8080/wechat": true,
		"http://[::1]:8080/wechat":     true,
		"http://localhost/wechat":      true,
		"http://10.0.0.1/wechat":       false,
		"https://api.example.com/x":    false,
	} {
		if err := CheckLoopback(endpoint); (err == nil) != ok {
			t.Errorf("CheckLoopback(%s) = %v", endpoint, err)
		}
	}
}
