// Package load plays WeChat against a /wechat endpoint: simulated users send
// signed plain-mode text messages concurrently, and reply times and errors
// are recorded. It is bounded in count and time and refuses non-loopback
// targets, so it cannot be pointed at a real service by mistake.
package load

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/silenceper/wechat/v2/util"
)

// Config configures a run.
type Config struct {
	URL       string        // the /wechat endpoint, e.g. http://127.0.0.1:8080/wechat; loopback only
	Token     string        // the official account's token (POLICYBOT_WECHAT_TOKEN)
	Users     int           // concurrent simulated users (default 50)
	Duration  time.Duration // how long to send (default 30 s)
	Max       int           // upper bound on messages sent (default 100,000)
	Questions []string      // asked in turn; required
	Timeout   time.Duration // per request (default 10 s: WeChat gives up after 5)
	Account   string        // ToUserName (default gh_policybot)
	// Think is the pause between a reply and the user's next message; 0
	// sends back to back, which measures the server saturated.
	Think time.Duration
}

// Result is what a run measured.
type Result struct {
	Sent, OK  int
	Errors    map[string]int // by kind: "status 403", "transport", "empty reply", …
	Latencies []time.Duration
	Elapsed   time.Duration
}

// Request builds one signed plain-mode push of a text message, as WeChat's
// server sends it: the signature is sha1 over the sorted token, timestamp and
// nonce (util.Signature), and the body is the message XML.
func Request(ctx context.Context, endpoint, token, account, openid string, msgID int64, content string, now time.Time) (*http.Request, error) {
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := strconv.FormatInt(msgID, 36)
	q := url.Values{}
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("signature", util.Signature(token, ts, nonce))
	q.Set("openid", openid)
	body, err := TextXML(account, openid, msgID, content, now)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("load: request: %w", err)
	}
	req.Header.Set("Content-Type", "text/xml")
	return req, nil
}

// message is a WeChat text push or passive reply.
type message struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   cdata    `xml:"ToUserName"`
	FromUserName cdata    `xml:"FromUserName"`
	CreateTime   int64    `xml:"CreateTime"`
	MsgType      cdata    `xml:"MsgType"`
	Content      cdata    `xml:"Content"`
	MsgID        int64    `xml:"MsgId,omitempty"`
}

type cdata struct {
	Value string `xml:",cdata"`
}

// TextXML is the XML body of a text message from openid to account.
func TextXML(account, openid string, msgID int64, content string, now time.Time) (string, error) {
	data, err := xml.Marshal(message{
		ToUserName: cdata{account}, FromUserName: cdata{openid}, CreateTime: now.Unix(),
		MsgType: cdata{"text"}, Content: cdata{content}, MsgID: msgID,
	})
	if err != nil {
		return "", fmt.Errorf("load: text xml: %w", err)
	}
	return string(data), nil
}

// CheckLoopback refuses endpoints whose host is not a loopback address.
func CheckLoopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("load: %s is not a loopback address; the load generator only targets this machine", host)
	}
	return nil
}

// Run sends messages until cfg.Duration has passed or cfg.Max were sent, and
// returns what it measured. Each user waits for a reply before sending its
// next message, as a person would; each message has a new MsgId.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := CheckLoopback(cfg.URL); err != nil {
		return Result{}, err
	}
	if cfg.Token == "" || len(cfg.Questions) == 0 {
		return Result{}, errors.New("load: token and questions are required")
	}
	if cfg.Users <= 0 {
		cfg.Users = 50
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Second
	}
	if cfg.Max <= 0 {
		cfg.Max = 100_000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Account == "" {
		cfg.Account = "gh_policybot"
	}
	client := &http.Client{
		Timeout:   cfg.Timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.Users, MaxConnsPerHost: cfg.Users},
	}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()

	var (
		mu    sync.Mutex
		res   = Result{Errors: map[string]int{}}
		sent  atomic.Int64
		wg    sync.WaitGroup
		start = time.Now()
		// MsgIds unique across runs against one database: claims persist.
		base = start.UnixNano() / 1000 * 1000
	)
	fail := func(kind string) {
		mu.Lock()
		res.Errors[kind]++
		mu.Unlock()
	}
	for u := range cfg.Users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			openid := fmt.Sprintf("o-load-%04d-%d", u, base%1_000_000)
			for i := 0; ; i++ {
				n := sent.Add(1)
				if n > int64(cfg.Max) || ctx.Err() != nil {
					return
				}
				q := cfg.Questions[(u+i)%len(cfg.Questions)]
				req, err := Request(ctx, cfg.URL, cfg.Token, cfg.Account, openid, base+n, q, time.Now())
				if err != nil {
					fail("request")
					return
				}
				t0 := time.Now()
				kind := send(client, req, openid)
				d := time.Since(t0)
				if ctx.Err() != nil && kind != "" {
					return // cut off by the end of the run, not a server error
				}
				mu.Lock()
				res.Sent++
				if kind == "" {
					res.OK++
					res.Latencies = append(res.Latencies, d)
				} else {
					res.Errors[kind]++
				}
				mu.Unlock()
				if cfg.Think > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(cfg.Think):
					}
				}
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res, nil
}

// send posts req and returns "" for a passive text reply to openid, or the
// kind of failure.
func send(client *http.Client, req *http.Request, openid string) string {
	resp, err := client.Do(req)
	if err != nil {
		return "transport"
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "read body"
	}
	if resp.StatusCode != http.StatusOK {
		return "status " + strconv.Itoa(resp.StatusCode)
	}
	var m message
	if err := xml.Unmarshal(body, &m); err != nil {
		return "not a reply"
	}
	if m.MsgType.Value != "text" || m.ToUserName.Value != openid || m.Content.Value == "" {
		return "empty reply"
	}
	return ""
}
