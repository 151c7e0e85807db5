// Package config loads policybot's configuration: an optional YAML file,
// overridden by POLICYBOT_* environment variables, with _FILE variants for
// secrets, then validated. Every key is listed once, in Fields, which also
// drives the documentation table and `policybot config check`.
package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration.
type Config struct {
	Listen        string   `yaml:"listen"`
	PublicBaseURL string   `yaml:"public_base_url"`
	Corpus        []string `yaml:"corpus"`
	Store         string   `yaml:"store"`
	DatabaseURL   string   `yaml:"database_url"`
	SearchDBURL   string   `yaml:"search_database_url"`
	Region        string   `yaml:"region"`
	AsOf          string   `yaml:"as_of"`
	APITokens     []string `yaml:"api_tokens"`
	DataDir       string   `yaml:"data_dir"`
	CorpusCache   string   `yaml:"corpus_cache"`

	LogLevel  string `yaml:"log_level"`
	LogFormat string `yaml:"log_format"`

	Embedder   string     `yaml:"embedder"`
	Embeddings Embeddings `yaml:"embeddings"`
	Generator  string     `yaml:"generator"`
	LLM        LLM        `yaml:"llm"`
	Budget     Duration   `yaml:"answer_budget"`
	WeChat     WeChat     `yaml:"wechat"`
}

// Embeddings configures an OpenAI-compatible embeddings endpoint.
type Embeddings struct {
	BaseURL    string   `yaml:"base_url"`
	Model      string   `yaml:"model"`
	Dimensions int      `yaml:"dimensions"`
	APIKey     string   `yaml:"api_key"`
	Timeout    Duration `yaml:"timeout"`
	// ModelFile is the corpus embedder's model (policybot train-embedder);
	// empty: the model built into the binary.
	ModelFile string `yaml:"model_file"`
}

// LLM configures an OpenAI-compatible chat model.
type LLM struct {
	BaseURL string   `yaml:"base_url"`
	Model   string   `yaml:"model"`
	APIKey  string   `yaml:"api_key"`
	Timeout Duration `yaml:"timeout"`
}

// WeChat configures the official-account endpoint; without a token it is off.
type WeChat struct {
	Token           string            `yaml:"token"`
	AppID           string            `yaml:"app_id"`
	AppSecret       string            `yaml:"app_secret"`
	EncodingAESKey  string            `yaml:"encoding_aes_key"`
	AllowPlain      bool              `yaml:"allow_plain"`
	AgentHours      string            `yaml:"agent_hours"`
	Hotline         string            `yaml:"hotline"`
	TimestampWindow Duration          `yaml:"timestamp_window"`
	RateLimit       int               `yaml:"rate_limit"`
	Menu            map[string]string `yaml:"menu"`
	// PushTemplateID is the template message of policy pushes sent
	// outside a user's 48-hour customer-service window; PushFields maps
	// its fields to title, number, issuer, date, count or hint.
	PushTemplateID string            `yaml:"push_template_id"`
	PushFields     map[string]string `yaml:"push_fields"`
	// PushInterval is how often new documents are pushed to subscribers;
	// 0: every 10 minutes.
	PushInterval Duration `yaml:"push_interval"`
}

// Duration is a time.Duration written as "3.5s" in YAML and environment.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Default returns the configuration used when nothing is set: the embedded
// seed corpus in memory with the offline embedder and extractive answers.
func Default() Config {
	return Config{
		Listen:    "127.0.0.1:8080",
		Corpus:    []string{"seeds"},
		Store:     "memory",
		DataDir:   "data",
		LogLevel:  "info",
		LogFormat: "text",
		Embedder:  "local",
		Generator: "extractive",
		Budget:    Duration(3500 * time.Millisecond),
		Embeddings: Embeddings{
			Timeout: Duration(30 * time.Second),
		},
		LLM:    LLM{Timeout: Duration(3500 * time.Millisecond)},
		WeChat: WeChat{TimestampWindow: Duration(5 * time.Minute), RateLimit: 10},
	}
}

// Field describes one configuration key.
type Field struct {
	Key    string // YAML key, dotted for nested keys
	Env    string // environment variable
	Secret bool   // also read from Env+"_FILE"; masked when printed
	Doc    string
	get    func(*Config) string
	set    func(*Config, string) error
}

func str(p func(*Config) *string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return *p(c) },
		func(c *Config, v string) error { *p(c) = strings.TrimSpace(v); return nil }
}

func list(sep string, p func(*Config) *[]string) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strings.Join(*p(c), sep) },
		func(c *Config, v string) error {
			var out []string
			for _, s := range strings.Split(v, sep) {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
			*p(c) = out
			return nil
		}
}

func integer(p func(*Config) *int) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strconv.Itoa(*p(c)) },
		func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a whole number: %q", v)
			}
			*p(c) = n
			return nil
		}
}

func boolean(p func(*Config) *bool) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return strconv.FormatBool(*p(c)) },
		func(c *Config, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not true or false: %q", v)
			}
			*p(c) = b
			return nil
		}
}

func duration(p func(*Config) *Duration) (func(*Config) string, func(*Config, string) error) {
	return func(c *Config) string { return p(c).D().String() },
		func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("not a duration like 3.5s: %q", v)
			}
			*p(c) = Duration(d)
			return nil
		}
}

func field(key, env string, secret bool, doc string, gs func() (func(*Config) string, func(*Config, string) error)) Field {
	g, s := gs()
	return Field{Key: key, Env: env, Secret: secret, Doc: doc, get: g, set: s}
}

// Fields lists every key that the environment can set, in documentation order.
var Fields = []Field{
	field("listen", "POLICYBOT_LISTEN", false, "address `policybot serve` listens on",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Listen })
		}),
	field("public_base_url", "POLICYBOT_PUBLIC_BASE_URL", false, "public URL of this server, for /a/{id} links in long WeChat answers",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.PublicBaseURL })
		}),
	field("corpus", "POLICYBOT_CORPUS", false, "policy folders or files, colon-separated; `seeds` is the corpus embedded in the binary",
		func() (func(*Config) string, func(*Config, string) error) {
			return list(":", func(c *Config) *[]string { return &c.Corpus })
		}),
	field("store", "POLICYBOT_STORE", false, "`memory` (built at start-up from the corpus) or `postgres`",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Store })
		}),
	field("database_url", "POLICYBOT_DATABASE_URL", true, "PostgreSQL URL (with pgvector) for store `postgres`",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.DatabaseURL })
		}),
	field("search_database_url", "POLICYBOT_SEARCH_DATABASE_URL", true, "optional read replica of the database for searches (store postgres); empty: the primary",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.SearchDBURL })
		}),
	field("region", "POLICYBOT_REGION", false, "default asker region, e.g. 天津市; its clauses and national ones rank first",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Region })
		}),
	field("as_of", "POLICYBOT_AS_OF", false, "day (YYYY-MM-DD) policy validity is decided on; empty: today (China time)",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.AsOf })
		}),
	field("api_tokens", "POLICYBOT_API_TOKENS", true, "comma-separated bearer tokens for /api/*; empty: /api is open",
		func() (func(*Config) string, func(*Config, string) error) {
			return list(",", func(c *Config) *[]string { return &c.APITokens })
		}),
	field("data_dir", "POLICYBOT_DATA_DIR", false, "folder for local state of the embedded default (console users, the corpus cache)",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.DataDir })
		}),
	field("corpus_cache", "POLICYBOT_CORPUS_CACHE", false, "folder caching parsed and embedded corpus documents for the memory store's start-up; empty: DATA_DIR/cache, off: none",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.CorpusCache })
		}),
	field("log_level", "POLICYBOT_LOG_LEVEL", false, "debug, info, warn or error",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.LogLevel })
		}),
	field("log_format", "POLICYBOT_LOG_FORMAT", false, "text or json",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.LogFormat })
		}),
	field("embedder", "POLICYBOT_EMBEDDER", false, "`local` (offline, default), `corpus` (offline, learned from a corpus: see train-embedder) or `openai` (any OpenAI-compatible endpoint)",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Embedder })
		}),
	field("embeddings.base_url", "POLICYBOT_EMBEDDINGS_BASE_URL", false, "embeddings endpoint base URL, e.g. https://host/v1",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Embeddings.BaseURL })
		}),
	field("embeddings.model_file", "POLICYBOT_EMBEDDINGS_MODEL_FILE", false, "corpus embedder's model file (policybot train-embedder); empty: the built-in model",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Embeddings.ModelFile })
		}),
	field("embeddings.model", "POLICYBOT_EMBEDDINGS_MODEL", false, "embeddings model name",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Embeddings.Model })
		}),
	field("embeddings.dimensions", "POLICYBOT_EMBEDDINGS_DIMENSIONS", false, "vector size (local: 0 for its default; openai: required, ≤ 2000)",
		func() (func(*Config) string, func(*Config, string) error) {
			return integer(func(c *Config) *int { return &c.Embeddings.Dimensions })
		}),
	field("embeddings.api_key", "POLICYBOT_EMBEDDINGS_API_KEY", true, "embeddings API key",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Embeddings.APIKey })
		}),
	field("embeddings.timeout", "POLICYBOT_EMBEDDINGS_TIMEOUT", false, "timeout of one embeddings call",
		func() (func(*Config) string, func(*Config, string) error) {
			return duration(func(c *Config) *Duration { return &c.Embeddings.Timeout })
		}),
	field("generator", "POLICYBOT_GENERATOR", false, "`extractive` (offline, default) or `llm`",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.Generator })
		}),
	field("llm.base_url", "POLICYBOT_LLM_BASE_URL", false, "chat endpoint base URL (DeepSeek, DashScope compatible mode, Ollama, vLLM …)",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.LLM.BaseURL })
		}),
	field("llm.model", "POLICYBOT_LLM_MODEL", false, "chat model name",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.LLM.Model })
		}),
	field("llm.api_key", "POLICYBOT_LLM_API_KEY", true, "chat API key",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.LLM.APIKey })
		}),
	field("llm.timeout", "POLICYBOT_LLM_TIMEOUT", false, "timeout of one chat call",
		func() (func(*Config) string, func(*Config, string) error) {
			return duration(func(c *Config) *Duration { return &c.LLM.Timeout })
		}),
	field("answer_budget", "POLICYBOT_ANSWER_BUDGET", false, "time an LLM answer may take before the extractive one is used",
		func() (func(*Config) string, func(*Config, string) error) {
			return duration(func(c *Config) *Duration { return &c.Budget })
		}),
	field("wechat.token", "POLICYBOT_WECHAT_TOKEN", true, "official-account token; empty: /wechat is off",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.WeChat.Token })
		}),
	field("wechat.app_id", "POLICYBOT_WECHAT_APP_ID", false, "official-account AppID",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.WeChat.AppID })
		}),
	field("wechat.app_secret", "POLICYBOT_WECHAT_APP_SECRET", true, "official-account AppSecret (customer-service pushes)",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.WeChat.AppSecret })
		}),
	field("wechat.encoding_aes_key", "POLICYBOT_WECHAT_ENCODING_AES_KEY", true, "43-character EncodingAESKey for safe mode",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.WeChat.EncodingAESKey })
		}),
	field("wechat.allow_plain", "POLICYBOT_WECHAT_ALLOW_PLAIN", false, "with an EncodingAESKey, also accept plain pushes (WeChat's compatible mode); false: safe mode only",
		func() (func(*Config) string, func(*Config, string) error) {
			return boolean(func(c *Config) *bool { return &c.WeChat.AllowPlain })
		}),
	field("wechat.agent_hours", "POLICYBOT_WECHAT_AGENT_HOURS", false, "when customer-service agents answer, e.g. 09:00-17:30 (Monday to Friday, China time); empty: always. Outside them 转人工 gets the hotline",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.WeChat.AgentHours })
		}),
	field("wechat.push_template_id", "POLICYBOT_WECHAT_PUSH_TEMPLATE_ID", false, "template message of policy pushes outside a user's 48 hours (fields in wechat.push_fields); empty: those pushes fail and are logged",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.WeChat.PushTemplateID })
		}),
	field("wechat.push_interval", "POLICYBOT_WECHAT_PUSH_INTERVAL", false, "how often documents ingested in the last 3 days are pushed to subscribed enterprises; 0: every 10 minutes",
		func() (func(*Config) string, func(*Config, string) error) {
			return duration(func(c *Config) *Duration { return &c.WeChat.PushInterval })
		}),
	field("wechat.hotline", "POLICYBOT_WECHAT_HOTLINE", false, "the hotline named when no agent is online; empty: 12345 政务服务热线",
		func() (func(*Config) string, func(*Config, string) error) {
			return str(func(c *Config) *string { return &c.WeChat.Hotline })
		}),
	field("wechat.timestamp_window", "POLICYBOT_WECHAT_TIMESTAMP_WINDOW", false, "requests with a timestamp further off are refused",
		func() (func(*Config) string, func(*Config, string) error) {
			return duration(func(c *Config) *Duration { return &c.WeChat.TimestampWindow })
		}),
	field("wechat.rate_limit", "POLICYBOT_WECHAT_RATE_LIMIT", false, "messages a minute per user",
		func() (func(*Config) string, func(*Config, string) error) {
			return integer(func(c *Config) *int { return &c.WeChat.RateLimit })
		}),
}

// Load reads the YAML file at path (skipped when path is empty), then applies
// environment overrides from getenv, then validates.
func Load(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	}
	for _, f := range Fields {
		v, ok, err := lookup(f, getenv)
		if err != nil {
			return c, err
		}
		if !ok {
			continue
		}
		if err := f.set(&c, v); err != nil {
			return c, fmt.Errorf("config: %s: %w", f.Env, err)
		}
	}
	return c, c.Validate()
}

func lookup(f Field, getenv func(string) string) (string, bool, error) {
	if v := getenv(f.Env); v != "" {
		return v, true, nil
	}
	if !f.Secret {
		return "", false, nil
	}
	p := getenv(f.Env + "_FILE")
	if p == "" {
		return "", false, nil
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", false, fmt.Errorf("config: %s_FILE: %w", f.Env, err)
	}
	return strings.TrimSpace(string(b)), true, nil
}

// Validate checks the configuration and names the first bad key.
func (c Config) Validate() error {
	bad := func(key, format string, a ...any) error {
		return fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, a...))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return bad("listen", "want host:port, got %q", c.Listen)
	}
	if c.PublicBaseURL != "" {
		if u, err := url.Parse(c.PublicBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("public_base_url", "want an http(s) URL, got %q", c.PublicBaseURL)
		}
	}
	switch c.Store {
	case "memory":
		if len(c.Corpus) == 0 {
			return bad("corpus", "the memory store needs at least one corpus folder (e.g. seeds)")
		}
	case "postgres":
		if c.DatabaseURL == "" {
			return bad("database_url", "required when store is postgres (POLICYBOT_DATABASE_URL)")
		}
	default:
		return bad("store", "want memory or postgres, got %q", c.Store)
	}
	if h := c.WeChat.AgentHours; h != "" {
		var h1, m1, h2, m2 int
		if _, err := fmt.Sscanf(h, "%d:%d-%d:%d", &h1, &m1, &h2, &m2); err != nil || h1*60+m1 >= h2*60+m2 || h2*60+m2 > 24*60 {
			return bad("wechat.agent_hours", "want HH:MM-HH:MM, got %q", h)
		}
	}
	if c.AsOf != "" {
		if _, err := time.Parse(time.DateOnly, c.AsOf); err != nil {
			return bad("as_of", "want YYYY-MM-DD, got %q", c.AsOf)
		}
	}
	if c.SearchDBURL != "" && c.Store != "postgres" {
		return bad("search_database_url", "a search replica needs store postgres")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return bad("log_level", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return bad("log_format", "want text or json, got %q", c.LogFormat)
	}
	switch c.Embedder {
	case "local":
		if c.Embeddings.Dimensions < 0 || c.Embeddings.Dimensions > 4096 {
			return bad("embeddings.dimensions", "want 0..4096, got %d", c.Embeddings.Dimensions)
		}
	case "corpus":
		if c.Embeddings.Dimensions != 0 {
			return bad("embeddings.dimensions", "the corpus embedder takes its dimensions from its model: leave it 0, got %d", c.Embeddings.Dimensions)
		}
	case "openai":
		if c.Embeddings.BaseURL == "" {
			return bad("embeddings.base_url", "required when embedder is openai")
		}
		if c.Embeddings.Model == "" {
			return bad("embeddings.model", "required when embedder is openai")
		}
		if c.Embeddings.Dimensions <= 0 || c.Embeddings.Dimensions > 2000 {
			return bad("embeddings.dimensions", "want 1..2000 (pgvector's HNSW limit), got %d", c.Embeddings.Dimensions)
		}
	default:
		return bad("embedder", "want local, corpus or openai, got %q", c.Embedder)
	}
	switch c.Generator {
	case "extractive":
	case "llm":
		if c.LLM.BaseURL == "" {
			return bad("llm.base_url", "required when generator is llm")
		}
		if c.LLM.Model == "" {
			return bad("llm.model", "required when generator is llm")
		}
	default:
		return bad("generator", "want extractive or llm, got %q", c.Generator)
	}
	if c.Budget <= 0 {
		return bad("answer_budget", "must be positive")
	}
	if c.WeChat.Token != "" {
		if k := c.WeChat.EncodingAESKey; k != "" && len(k) != 43 {
			return bad("wechat.encoding_aes_key", "must be 43 characters, got %d", len(k))
		}
		if c.WeChat.RateLimit <= 0 {
			return bad("wechat.rate_limit", "must be positive")
		}
		if c.WeChat.TimestampWindow <= 0 {
			return bad("wechat.timestamp_window", "must be positive")
		}
	}
	return nil
}

// Effective returns "key = value" lines of the configuration with secrets masked.
func (c Config) Effective() []string {
	var out []string
	for _, f := range Fields {
		v := f.get(&c)
		if f.Secret && v != "" {
			v = "****** (set)"
		}
		out = append(out, fmt.Sprintf("%-28s = %s", f.Key, v))
	}
	for k, q := range c.WeChat.Menu {
		out = append(out, fmt.Sprintf("%-28s = %s", "wechat.menu."+k, q))
	}
	for k, v := range c.WeChat.PushFields {
		out = append(out, fmt.Sprintf("%-28s = %s", "wechat.push_fields."+k, v))
	}
	return out
}
